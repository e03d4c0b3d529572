import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { baseUrl } from "./server.js";

const run = promisify(execFile);

test("the committed types are what the served OpenAPI document generates", async () => {
  // The same generator `make client` runs, fed with what the server serves now.
  const schema = `${baseUrl}/api/schema/?format=json`;
  try {
    await run(process.execPath, ["scripts/generate.mjs", "--check", schema]);
  } catch (failure) {
    const { stderr } = failure as { stderr?: string };
    assert.fail(stderr || String(failure));
  }
});
