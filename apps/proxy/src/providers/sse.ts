// One Server-Sent Events reader for every provider (WHATWG event-stream parsing); adapters plug a
// StreamTransform into the events it yields. An event not terminated by a blank line when the body ends is
// dropped, as the spec says, so a cut stream never yields half an event.

export interface SseEvent {
  /** "message" when the stream gave no `event:` line. */
  event: string;
  data: string;
  id?: string;
}

export async function* readSse(
  body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let eventName = "";
  let dataLines: string[] = [];
  let id: string | undefined;
  let sawField = false;

  const takeLine = (line: string): SseEvent | null => {
    if (line === "") {
      if (!sawField) return null;
      const ev: SseEvent = { event: eventName || "message", data: dataLines.join("\n") };
      if (id !== undefined) ev.id = id;
      eventName = "";
      dataLines = [];
      sawField = false;
      return ev;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") {
      eventName = value;
      sawField = true;
    } else if (field === "data") {
      dataLines.push(value);
      sawField = true;
    } else if (field === "id") {
      id = value;
    }
    return null;
  };

  for await (const piece of body) {
    buffer += typeof piece === "string" ? piece : decoder.decode(piece, { stream: true });
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer[i];
      if (ch !== "\n" && ch !== "\r") continue;
      // A \r at the very end may be the first half of \r\n: wait for more input.
      if (ch === "\r" && i === buffer.length - 1) break;
      const line = buffer.slice(start, i);
      if (ch === "\r" && buffer[i + 1] === "\n") i++;
      start = i + 1;
      const ev = takeLine(line);
      if (ev) yield ev;
    }
    buffer = buffer.slice(start);
  }
  // A lone CR held back as a possible CRLF half is a line end once the body is over.
  if (buffer.endsWith("\r")) {
    const ev = takeLine(buffer.slice(0, -1));
    if (ev) yield ev;
  }
}
