#!/usr/bin/env node
// gatewayctl runs from TypeScript source, like every workspace package: register tsx, then load the CLI.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
