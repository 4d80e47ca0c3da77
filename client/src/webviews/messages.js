"use strict";
/**
 * Every message between the extension and its two webviews, one discriminated union per direction
 * and panel. The webview scripts (media/src) import these types too, so nothing here may import
 * `vscode` or a Node module: plain data only, already shaped for drawing (view models), so the
 * webview never has to know the protocol.
 */
Object.defineProperty(exports, "__esModule", { value: true });
//# sourceMappingURL=messages.js.map