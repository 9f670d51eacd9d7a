// A minimal OpenAI-compatible upstream for benchmarks: a fixed chat completion, an optional fixed delay and
// optional SSE. Deliberately tiny so it measures the gateway, not itself.
//   tsx bench/gateway/stub.ts --port 4101 --delay-ms 0
import http from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4101" },
    "delay-ms": { type: "string", default: "0" },
    chunks: { type: "string", default: "8" },
  },
});
const delayMs = Number(values["delay-ms"]);
const chunks = Number(values.chunks);

const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "bench-model",
  choices: [{ index: 0, message: { role: "assistant", content: "The order ships tomorrow." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
});

function chunk(delta: object, finish: string | null, usage?: object): string {
  return `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "bench-model",
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;
}

const server = http.createServer((req, res) => {
  const body: Buffer[] = [];
  req.on("data", (d: Buffer) => body.push(d));
  req.on("end", () => {
    const respond = () => {
      if (req.url === "/healthz") {
        res.writeHead(200).end("ok");
        return;
      }
      const stream = Buffer.concat(body).includes('"stream":true');
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(completion) });
        res.end(completion);
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(chunk({ role: "assistant", content: "" }, null));
      for (let i = 0; i < chunks; i++) res.write(chunk({ content: `tok${i} ` }, null));
      res.write(chunk({}, "stop"));
      res.write(chunk({}, null, { prompt_tokens: 12, completion_tokens: chunks, total_tokens: 12 + chunks }));
      res.end("data: [DONE]\n\n");
    };
    if (delayMs > 0) setTimeout(respond, delayMs);
    else respond();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), "127.0.0.1", () => {
  process.stdout.write(`stub listening on ${values.port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
