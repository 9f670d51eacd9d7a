// A little realistic traffic for the demo so the dashboards have something to show: summaries (some
// streamed, some served by a fallback while the mock's OpenAI endpoint returns 503s), ticket triage with a
// JSON validator, refund decisions (one failure opens a review item), embeddings and feedback.
//   tsx scripts/demo-traffic.ts <gateway key>
const key = process.argv[2];
const proxy = process.env.PROXY_URL ?? "http://127.0.0.1:4000";
const mock = process.env.MOCK_PROVIDER_URL ?? "http://127.0.0.1:4010";
if (!key) throw new Error("usage: demo-traffic.ts <gateway key>");

const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
const statuses = new Map<string, number>();
const requestIds: string[] = [];

async function call(path: string, body: object, extra: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${proxy}${path}`, { method: "POST", headers: { ...headers, ...extra }, body: JSON.stringify(body) });
  await res.text();
  const label = `${path} ${res.status}`;
  statuses.set(label, (statuses.get(label) ?? 0) + 1);
  const id = res.headers.get("x-request-id");
  if (res.ok && id) requestIds.push(id);
}

async function fault(rule: object): Promise<void> {
  const res = await fetch(`${mock}/__mock/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rule) });
  if (!res.ok) throw new Error(`mock fault rule refused: ${res.status} ${await res.text()}`);
}

// The schema the ticket-triage route validates; asking for it is what a well-behaved client does.
const triageSchema = {
  type: "object",
  required: ["queue", "priority"],
  additionalProperties: false,
  properties: { queue: { type: "string", enum: ["billing", "technical", "account", "other"] }, priority: { type: "string", enum: ["low", "normal", "high", "urgent"] }, reason: { type: "string" } },
};
const topics = ["a late delivery", "a double charge", "a password reset loop", "a damaged parcel", "an address change", "a missing invoice"];
const steps: Array<[string, () => Promise<void>]> = [];
for (let i = 0; i < 18; i++) {
  const topic = topics[i % topics.length]!;
  steps.push([
    "support-summary",
    () =>
      call(
        "/v1/chat/completions",
        { model: "support-summary", messages: [{ role: "user", content: `Summarise ticket #${1000 + i} about ${topic}.` }], stream: i % 3 === 0, stream_options: i % 3 === 0 ? { include_usage: true } : undefined },
        { "x-gateway-workflow": "ticket-summary", "x-gateway-user": `agent-${i % 4}`, "x-gateway-user-tier": i % 5 === 0 ? "paid" : "free" },
      ),
  ]);
}
steps.push(["fault: OpenAI answers 503 for a while", () => fault({ match: { provider: "openai" }, fault: { status: 503, message: "overloaded" }, times: 6 })]);
for (let i = 0; i < 3; i++) {
  steps.push(["support-summary via fallback", () => call("/v1/chat/completions", { model: "support-summary", messages: [{ role: "user", content: `Summarise escalation #${2000 + i}.` }] }, { "x-gateway-workflow": "escalation" })]);
}
for (let i = 0; i < 8; i++) {
  steps.push([
    "ticket-triage",
    () =>
      call("/v1/chat/completions", {
        model: "ticket-triage",
        messages: [{ role: "user", content: `Triage ticket #${3000 + i}: customer reports ${topics[i % topics.length]}. Reply as JSON with queue and priority.` }],
        response_format: { type: "json_schema", json_schema: { name: "triage", schema: triageSchema } },
      }, { "x-gateway-workflow": "triage" }),
  ]);
}
for (let i = 0; i < 3; i++) {
  steps.push(["refund-decision", () => call("/v1/chat/completions", { model: "refund-decision", messages: [{ role: "user", content: `Should order #${4000 + i} be refunded?` }] }, { "x-gateway-workflow": "refunds" })]);
}
steps.push(["fault: refund model fails once", () => fault({ match: { provider: "openai" }, fault: { status: 500, message: "internal error" }, times: 1 })]);
steps.push(["refund-decision (fails, opens a review item)", () => call("/v1/chat/completions", { model: "refund-decision", messages: [{ role: "user", content: "Should order #4999 be refunded?" }] }, { "x-gateway-workflow": "refunds" })]);
steps.push(["embeddings", () => call("/v1/embeddings", { model: "text-embedding-3-small", input: ["late delivery", "double charge"] })]);

for (const [i, [label, step]] of steps.entries()) {
  process.stderr.write(`\r[demo-traffic] ${i + 1}/${steps.length} ${label.padEnd(48)}`);
  await step();
}
process.stderr.write("\n");
const actions = ["accepted", "accepted", "accepted", "edited", "regenerated", "abandoned"] as const;
for (const [i, id] of requestIds.slice(0, 12).entries()) {
  await call("/v1/feedback", { request_id: id, action: actions[i % actions.length] });
}
for (const [label, n] of [...statuses.entries()].sort()) console.log(`  ${label}: ${n}`);
const unauthorised = [...statuses.entries()].filter(([l]) => l.endsWith(" 401")).reduce((a, [, n]) => a + n, 0);
if (unauthorised > 0) throw new Error(`${unauthorised} demo requests were refused with 401: the demo key is not valid`);
