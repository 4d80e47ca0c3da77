import { ChildProcess, spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';

/**
 * Real git servers on 127.0.0.1 for the remote rollback's tests, started and stopped by the tests:
 * `git daemon` with receive-pack on, and smart HTTP (`git http-backend` as a CGI behind Node's
 * HTTP server, in a process of its own, since the tests block their own event loop while the CLI
 * runs). Each serves the bare repos under one folder; `url(name)` is a repo's URL.
 */
export interface GitServer {
  url(name: string): string;
  /** SIGKILL: the server dies as a crashed one would, mid-whatever. */
  kill(): void;
  /** Starts it again on the same port (after `kill`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before it listened`);
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

function server(start: (port: number) => ChildProcess, url: (port: number, name: string) => string): Promise<GitServer> {
  let child: ChildProcess;
  let port = 0;
  const up = async () => {
    child = start(port);
    await waitForPort(port, child);
  };
  return (async () => {
    port = await freePort();
    await up();
    return {
      url: (name) => url(port, name),
      kill: () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      },
      restart: up,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        await gone;
      },
    };
  })();
}

/** `git daemon --enable=receive-pack` serving the bare repos under `base` (git://127.0.0.1:<port>/<name>). */
export function startGitDaemon(base: string, env: NodeJS.ProcessEnv): Promise<GitServer> {
  return server(
    (port) =>
      spawn('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${base}`, '--export-all', '--enable=receive-pack', base], {
        env,
        stdio: 'ignore',
        detached: true,
      }),
    (port, name) => `git://127.0.0.1:${port}/${name}`,
  );
}

/**
 * Smart HTTP: `git http-backend` serving the bare repos under `base` (http://127.0.0.1:<port>/git/<name>);
 * pushes allowed to anyone, or (`refuseAll`) every request answered 401, as a server asking for a password.
 */
export function startSmartHttp(base: string, env: NodeJS.ProcessEnv, options: { refuseAll?: boolean } = {}): Promise<GitServer> {
  return server(
    (port) =>
      spawn(process.execPath, [__filename, 'serve-http', base, String(port), options.refuseAll ? 'refuse' : 'serve'], {
        env,
        stdio: 'ignore',
        detached: true,
      }),
    (port, name) => `http://127.0.0.1:${port}/git/${name}`,
  );
}

/** The HTTP server's own process: each request is one `git http-backend` run as a CGI. */
function serveHttp(base: string, port: number, refuse: boolean): void {
  http
    .createServer((req, res) => {
      if (refuse) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
        return void res.end('who are you?\n');
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const cgiEnv: NodeJS.ProcessEnv = {
        ...process.env,
        GIT_PROJECT_ROOT: base,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method,
        PATH_INFO: url.pathname.replace(/^\/git/, ''),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: '127.0.0.1',
        REMOTE_USER: 'tester',
      };
      for (const [k, v] of Object.entries(req.headers)) cgiEnv[`HTTP_${k.toUpperCase().replace(/-/g, '_')}`] = String(v);
      const cgi = spawn('git', ['http-backend'], { env: cgiEnv, stdio: ['pipe', 'pipe', 'ignore'] });
      req.pipe(cgi.stdin);
      let head = Buffer.alloc(0);
      let headersDone = false;
      cgi.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) return void res.write(chunk);
        head = Buffer.concat([head, chunk]);
        const crlf = head.indexOf('\r\n\r\n');
        const lf = head.indexOf('\n\n');
        const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
        if (end < 0) return;
        const sep = end === crlf ? 4 : 2;
        let status = 200;
        for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i < 0) continue;
          const k = line.slice(0, i).trim();
          const v = line.slice(i + 1).trim();
          if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
          else res.setHeader(k, v);
        }
        res.writeHead(status);
        headersDone = true;
        res.write(head.subarray(end + sep));
      });
      cgi.on('close', () => res.end());
    })
    .listen(port, '127.0.0.1');
}

if (require.main === module && process.argv[2] === 'serve-http')
  serveHttp(path.resolve(process.argv[3]), Number(process.argv[4]), process.argv[5] === 'refuse');
