// Runs the mock provider for the demo and local development: MOCK_PROVIDER_PORT (default 4010) on loopback.
import { z } from "zod";
import { startMockProvider } from "./index.ts";

const env = z
  .object({
    MOCK_PROVIDER_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
    MOCK_PROVIDER_HOST: z.string().min(1).default("127.0.0.1"),
  })
  .parse(process.env);

const mock = await startMockProvider({ port: env.MOCK_PROVIDER_PORT, host: env.MOCK_PROVIDER_HOST });
console.log(
  `mock provider on ${mock.url}: OpenAI ${mock.url}/openai/v1, Azure ${mock.url}/azure, Anthropic ${mock.url}/anthropic, Gemini ${mock.url}/gemini`,
);

const stop = () => {
  mock.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
