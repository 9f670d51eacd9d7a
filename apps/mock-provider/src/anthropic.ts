// The Anthropic Messages dialect: system prompt, tool_use / tool_result blocks, stop reasons, usage with
// cache reads, and the SSE event sequence message_start … message_stop.
import type { IncomingMessage, ServerResponse } from "node:http";
import { chunkText, type MockPrompt } from "./answers.ts";
import { asArray, asRecord, BadRequest, type ChatCall, type Dialect } from "./dialect.ts";
import { sendJson, sse, writeStream } from "./wire.ts";

function blocksText(content: unknown, type = "text"): string {
  if (typeof content === "string") return content;
  return asArray(content)
    .map(asRecord)
    .filter((b) => b.type === type)
    .map((b) => (type === "tool_result" ? blocksText(b.content) : String(b.text ?? "")))
    .join("");
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

export function anthropicErrorBody(status: number, message: string) {
  return {
    type: "error",
    error: { type: ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"), message },
    request_id: `req_mock${Date.now()}`,
  };
}

const STOP: Record<string, string> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use" };

export const anthropicDialect: Dialect = {
  provider: "anthropic",

  authPresent(req: IncomingMessage) {
    const key = req.headers["x-api-key"];
    return typeof key === "string" && key.trim() !== "";
  },

  error(res: ServerResponse, status, message, headers = {}) {
    sendJson(res, status, anthropicErrorBody(status, message), headers);
  },

  streamError(message) {
    return sse({ type: "error", error: { type: "overloaded_error", message } }, "error");
  },

  lastUserRaw(body) {
    const last = [...asArray(body.messages).map(asRecord)].reverse().find((m) => m.role === "user");
    return last ? blocksText(last.content) : "";
  },

  prompt(body, model): MockPrompt {
    const messages = asArray(body.messages).map(asRecord);
    if (messages.length === 0) throw new BadRequest("messages: at least one message is required");
    if (typeof body.max_tokens !== "number") throw new BadRequest("max_tokens: Field required");
    const system = typeof body.system === "string" ? body.system : blocksText(body.system);
    const tools = asArray(body.tools).map((t) => {
      const r = asRecord(t);
      if (typeof r.name !== "string") throw new BadRequest("tools.0.name: Field required");
      return { name: r.name, parameters: r.input_schema };
    });
    const choice = asRecord(body.tool_choice);
    const forcedTool =
      choice.type === "any" ? "any" : choice.type === "tool" ? String(choice.name ?? "") || null : null;
    // Claude has no JSON mode: it follows the instruction the gateway puts in the system prompt.
    const schemaAt = system.indexOf("JSON schema:");
    let json: MockPrompt["json"] = null;
    if (schemaAt !== -1) {
      try {
        json = {
          schema: JSON.parse(
            system
              .slice(schemaAt + "JSON schema:".length)
              .trim()
              .split("\n")[0] ?? "{}",
          ),
        };
      } catch {
        json = { schema: null };
      }
    } else if (/\bJSON\b/.test(system)) json = { schema: null };
    const last = messages[messages.length - 1];
    const lastIsToolResult =
      last?.role === "user" && asArray(last.content).some((b) => asRecord(b).type === "tool_result");
    return {
      model,
      allText: [
        system,
        ...messages.map((m) => `${String(m.role)} ${JSON.stringify(m.content)}`),
        body.tools ? JSON.stringify(body.tools) : "",
      ].join("\n"),
      messageCount: messages.length,
      lastUserText: lastIsToolResult ? blocksText(last?.content, "tool_result") : this.lastUserRaw(body),
      lastIsToolResult,
      systemText: system,
      tools,
      forcedTool: choice.type === "none" ? null : forcedTool,
      json,
      maxTokens: body.max_tokens as number,
    };
  },

  async respond(call: ChatCall) {
    const { res, answer, fault } = call;
    const id = `msg_mock${String(call.seq).padStart(6, "0")}`;
    const cached = Math.min(fault?.cached_tokens ?? 0, answer.inputTokens);
    const usage = {
      input_tokens: answer.inputTokens - cached,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: cached,
      output_tokens: answer.outputTokens,
      service_tier: "standard",
    };
    const content = [
      ...(answer.text !== "" || answer.toolCalls.length === 0 ? [{ type: "text", text: answer.text }] : []),
      ...answer.toolCalls.map((t) => ({
        type: "tool_use",
        id: t.id.replace(/^call_/, "toolu_"),
        name: t.name,
        input: t.args,
      })),
    ];
    const stopReason = STOP[answer.finish] ?? "end_turn";

    if (!call.stream) {
      sendJson(res, 200, {
        id,
        type: "message",
        role: "assistant",
        model: call.model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        ...(fault?.no_usage ? {} : { usage }),
      });
      return;
    }

    const size = fault?.chunk_size ?? 8;
    const events: string[] = [];
    events.push(
      sse(
        {
          type: "message_start",
          message: {
            id,
            type: "message",
            role: "assistant",
            model: call.model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            ...(fault?.no_usage ? {} : { usage: { ...usage, output_tokens: 1 } }),
          },
        },
        "message_start",
      ),
    );
    events.push(sse({ type: "ping" }, "ping"));
    content.forEach((block, index) => {
      if (block.type === "text") {
        events.push(
          sse({ type: "content_block_start", index, content_block: { type: "text", text: "" } }, "content_block_start"),
        );
        for (const piece of chunkText(String((block as { text: string }).text), size)) {
          events.push(
            sse(
              { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } },
              "content_block_delta",
            ),
          );
        }
      } else {
        const b = block as { id: string; name: string; input: unknown };
        events.push(
          sse(
            {
              type: "content_block_start",
              index,
              content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
            },
            "content_block_start",
          ),
        );
        events.push(
          sse(
            { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "" } },
            "content_block_delta",
          ),
        );
        for (const piece of chunkText(JSON.stringify(b.input), size)) {
          events.push(
            sse(
              { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } },
              "content_block_delta",
            ),
          );
        }
      }
      events.push(sse({ type: "content_block_stop", index }, "content_block_stop"));
    });
    events.push(
      sse(
        {
          type: "message_delta",
          delta: { stop_reason: stopReason, stop_sequence: null },
          ...(fault?.no_usage ? {} : { usage: { output_tokens: answer.outputTokens } }),
        },
        "message_delta",
      ),
    );
    events.push(sse({ type: "message_stop" }, "message_stop"));
    await writeStream(res, events, fault, this.streamError("Overloaded"), 2);
  },
};
