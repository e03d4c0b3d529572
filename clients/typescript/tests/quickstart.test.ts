import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { owner } from "./server.js";

const run = promisify(execFile);

test("the README's example runs: a project to a completed sample job", async () => {
  const { stdout } = await run(process.execPath, ["build/examples/quickstart.js"], {
    env: { ...process.env, WORKBENCH_USER: owner.username, WORKBENCH_PASSWORD: owner.password },
  });
  assert.equal(stdout.trim(), "completed");
});
