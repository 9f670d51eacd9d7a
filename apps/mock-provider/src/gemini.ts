// The Gemini dialect: generateContent and streamGenerateContent?alt=sse (contents with user/model roles,
// systemInstruction, functionDeclarations, functionCall / functionResponse parts, usageMetadata), plus
// embedContent and batchEmbedContents.
import type { IncomingMessage, ServerResponse } from "node:http";
import { chunkText, embed, type MockPrompt } from "./answers.ts";
import { asArray, asRecord, BadRequest, type ChatCall, type Dialect } from "./dialect.ts";
import { sendJson, sse, writeStream } from "./wire.ts";

function partsText(parts: unknown): string {
  return asArray(parts)
    .map(asRecord)
    .filter((p) => typeof p.text === "string")
    .map((p) => String(p.text))
    .join("");
}

const STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

export function geminiErrorBody(status: number, message: string) {
  return {
    error: { code: status, message, status: STATUS[status] ?? (status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION") },
  };
}

const FINISH: Record<string, string> = { stop: "STOP", length: "MAX_TOKENS", tool_calls: "STOP" };

export const geminiDialect: Dialect = {
  provider: "gemini",

  authPresent(req: IncomingMessage, url: URL) {
    const key = req.headers["x-goog-api-key"];
    return (typeof key === "string" && key.trim() !== "") || (url.searchParams.get("key") ?? "") !== "";
  },

  error(res: ServerResponse, status, message, headers = {}) {
    sendJson(res, status, geminiErrorBody(status, message), headers);
  },

  streamError(message) {
    return sse(geminiErrorBody(503, message));
  },

  lastUserRaw(body) {
    const last = [...asArray(body.contents).map(asRecord)].reverse().find((c) => (c.role ?? "user") === "user");
    return last ? partsText(last.parts) : "";
  },

  prompt(body, model): MockPrompt {
    const contents = asArray(body.contents).map(asRecord);
    if (contents.length === 0) throw new BadRequest("* GenerateContentRequest.contents: contents is not specified");
    const system = partsText(asRecord(body.systemInstruction).parts);
    const tools = asArray(body.tools).flatMap((t) =>
      asArray(asRecord(t).functionDeclarations).map((d) => {
        const r = asRecord(d);
        if (typeof r.name !== "string")
          throw new BadRequest(
            "* GenerateContentRequest.tools[0].function_declarations[0].name: Name cannot be empty.",
          );
        return { name: r.name, parameters: r.parametersJsonSchema ?? r.parameters };
      }),
    );
    const fcc = asRecord(asRecord(body.toolConfig).functionCallingConfig);
    const allowed = asArray(fcc.allowedFunctionNames);
    const forcedTool = fcc.mode === "ANY" ? (typeof allowed[0] === "string" ? allowed[0] : "any") : null;
    const gc = asRecord(body.generationConfig);
    const json =
      gc.responseMimeType === "application/json"
        ? { schema: gc.responseJsonSchema ?? gc.responseSchema ?? null }
        : null;
    const last = contents[contents.length - 1];
    const responses = asArray(last?.parts)
      .map(asRecord)
      .filter((p) => p.functionResponse);
    const lastIsToolResult = responses.length > 0;
    return {
      model,
      allText: [
        system,
        ...contents.map((c) => JSON.stringify(c.parts)),
        body.tools ? JSON.stringify(body.tools) : "",
      ].join("\n"),
      messageCount: contents.length,
      lastUserText: lastIsToolResult
        ? JSON.stringify(asRecord(responses[0]?.functionResponse).response ?? {})
        : this.lastUserRaw(body),
      lastIsToolResult,
      systemText: system,
      tools,
      forcedTool,
      json,
      maxTokens: typeof gc.maxOutputTokens === "number" ? gc.maxOutputTokens : null,
    };
  },

  async respond(call: ChatCall) {
    const { res, answer, fault } = call;
    const gc = asRecord(call.body.generationConfig);
    const n = typeof gc.candidateCount === "number" ? gc.candidateCount : 1;
    const cached = Math.min(fault?.cached_tokens ?? 0, answer.inputTokens);
    const usageMetadata = {
      promptTokenCount: answer.inputTokens,
      candidatesTokenCount: answer.outputTokens * n,
      totalTokenCount: answer.inputTokens + answer.outputTokens * n,
      ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
      promptTokensDetails: [{ modality: "TEXT", tokenCount: answer.inputTokens }],
    };
    const responseId = `mockresp${call.seq}`;
    const finishReason = FINISH[answer.finish] ?? "STOP";
    const callParts = answer.toolCalls.map((t) => ({ functionCall: { name: t.name, args: t.args } }));

    if (!call.stream) {
      sendJson(res, 200, {
        candidates: Array.from({ length: n }, (_, index) => ({
          content: { parts: callParts.length > 0 ? callParts : [{ text: answer.text }], role: "model" },
          finishReason,
          avgLogprobs: -0.1,
          index,
        })),
        ...(fault?.no_usage ? {} : { usageMetadata }),
        modelVersion: call.model,
        responseId,
      });
      return;
    }

    const size = fault?.chunk_size ?? 8;
    const events: string[] = [];
    const pieces = callParts.length > 0 ? [] : chunkText(answer.text, size);
    const frame = (candidates: unknown[], final: boolean) =>
      sse({
        candidates,
        ...(fault?.no_usage
          ? {}
          : {
              usageMetadata: final
                ? usageMetadata
                : { promptTokenCount: answer.inputTokens, totalTokenCount: answer.inputTokens },
            }),
        modelVersion: call.model,
        responseId,
      });
    for (let i = 0; i < pieces.length - 1; i++) {
      events.push(
        frame(
          Array.from({ length: n }, (_, index) => ({
            content: { parts: [{ text: pieces[i] }], role: "model" },
            index,
          })),
          false,
        ),
      );
    }
    const lastParts = callParts.length > 0 ? callParts : [{ text: pieces[pieces.length - 1] ?? "" }];
    events.push(
      frame(
        Array.from({ length: n }, (_, index) => ({
          content: { parts: lastParts, role: "model" },
          finishReason,
          index,
        })),
        true,
      ),
    );
    await writeStream(res, events, fault, this.streamError("The model is overloaded. Please try again later."));
  },
};

export function geminiEmbed(body: Record<string, unknown>, batch: boolean) {
  const dimsOf = (r: Record<string, unknown>) =>
    typeof r.outputDimensionality === "number" && r.outputDimensionality > 0
      ? Math.min(r.outputDimensionality, 4096)
      : 256;
  if (batch) {
    const requests = asArray(body.requests).map(asRecord);
    if (requests.length === 0) throw new BadRequest("* BatchEmbedContentsRequest.requests: requests is not specified");
    return { embeddings: requests.map((r) => ({ values: embed(partsText(asRecord(r.content).parts), dimsOf(r)) })) };
  }
  return { embedding: { values: embed(partsText(asRecord(body.content).parts), dimsOf(body)) } };
}
