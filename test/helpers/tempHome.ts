import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Loaded by mocha before any suite (`.mocharc.js`'s `require`): the whole run gets a HOME of its own,
 * empty, as a user's machine gives git a `~/.gitconfig` and `~/.config/git/…` of the user's own. A
 * global excludes file, an autocrlf or a filter in the developer's HOME then never changes what a test
 * sees, and no test hides a bug behind `GIT_CONFIG_*` variables users do not set (the tests that need
 * particular global config make a HOME of their own on top: `userEnv`). Set before `repoKit` copies
 * the environment, and before the engine reads HOME.
 */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'codecontext-test-home-'));
process.env.HOME = home;
delete process.env.XDG_CONFIG_HOME;
process.on('exit', () => fs.rmSync(home, { recursive: true, force: true }));
