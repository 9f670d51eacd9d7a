// A TCP relay in front of the real Postgres that a test can cut and restore, to show what the gateway does
// when the database goes away, without ever stopping the shared Postgres.
import { createServer, connect, type Socket } from "node:net";

export interface PgCutter {
  /** DATABASE_URL with host and port pointing at the relay. */
  url: string;
  port: number;
  /** Destroys every open connection and refuses new ones (accepted and closed at once) until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startPgCutter(databaseUrl: string): Promise<PgCutter> {
  const upstream = new URL(databaseUrl);
  const upstreamHost = upstream.hostname || "127.0.0.1";
  const upstreamPort = Number(upstream.port || 5432);
  const sockets = new Set<Socket>();
  let isCut = false;

  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    // A reset from either side is expected here: the relay exists to break connections.
    s.on("error", () => s.destroy());
  };

  const server = createServer((client) => {
    track(client);
    if (isCut) {
      client.destroy();
      return;
    }
    const db = connect(upstreamPort, upstreamHost);
    track(db);
    client.pipe(db);
    db.pipe(client);
    client.on("close", () => db.destroy());
    db.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const relayed = new URL(databaseUrl);
  relayed.hostname = "127.0.0.1";
  relayed.port = String(port);

  return {
    url: relayed.toString(),
    port,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      isCut = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
