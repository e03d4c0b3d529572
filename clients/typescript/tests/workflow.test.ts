/**
 * The whole workflow through the typed client alone, as the Next.js frontend walks it:
 * a token, a project, a TXT and a CSV uploaded, variables, suggestions, a confirmed
 * version, an estimate, a sample run followed to its end, results, a correction,
 * agreement, and CSV and XLSX exports downloaded. Every error met on the way is the
 * API's typed error shape. The server is the one `make client-test` started.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  allPages,
  ApiError,
  createWorkbenchClient,
  downloadExport,
  fetchToken,
  isErrorBody,
  type JobStatus,
  type Project,
  type ResultRow,
  type Schemas,
  unwrap,
  uploadDocuments,
  type Value,
  waitForExport,
  waitForJob,
  waitForUpload,
  type WorkbenchClient,
} from "../src/index.js";
import { baseUrl, owner, stranger } from "./server.js";

const WAIT = { intervalMs: 250, timeoutMs: 120_000 };

const MINUTES = `Council minutes, 3 March 2025.
The council discussed the budget for the new library and voted to fund it.
Councillor Ortiz said the roads budget must come first.`;

const SPEECHES = `speaker,text
Ortiz,"We must repair the roads before anything else, and the budget says so."
Lindqvist,"The library is where our children learn; I support the plan."
Okafor,"Parks, roads and schools: the budget has to balance all three."
`;

/** The typed error of a call that must fail, checked to be in the API's format. */
async function refusal(call: Promise<{ error?: unknown; response: Response }>) {
  const { error, response } = await call;
  assert.ok(!response.ok, `expected an error, got ${response.status}`);
  assert.match(response.headers.get("Content-Type") ?? "", /^application\/json/);
  assert.ok(isErrorBody(error), `not the API's error body: ${JSON.stringify(error)}`);
  return { status: response.status, ...error.error };
}

describe("errors before any work", () => {
  test("no token is a 401 in the error format", async () => {
    const anonymous = createWorkbenchClient({ baseUrl });
    const error = await refusal(anonymous.GET("/api/v1/projects/"));
    assert.equal(error.status, 401);
    assert.equal(typeof error.message, "string");
  });

  test("a wrong token is a 401, and a wrong password an ApiError", async () => {
    const spoiled = createWorkbenchClient({ baseUrl, token: "0".repeat(40) });
    assert.equal((await refusal(spoiled.GET("/api/v1/projects/"))).status, 401);
    await assert.rejects(fetchToken(baseUrl, owner.username, "not the password"), (thrown) => {
      assert.ok(thrown instanceof ApiError);
      assert.equal(thrown.status, 400);
      assert.notEqual(thrown.code, "unexpected_answer");
      return true;
    });
  });

  test("what no typed call can send still answers in the error format", async () => {
    // A fetch wrapper expecting JSON must never meet an HTML page: unknown paths,
    // ids that are not numbers, bodies that are not JSON, methods an endpoint lacks.
    const token = await fetchToken(baseUrl, owner.username, owner.password);
    const headers = { Authorization: `Token ${token}`, "Content-Type": "application/json" };
    for (const [method, path, body, status] of [
      ["GET", "/api/v1/no-such-thing/", undefined, 404],
      ["GET", "/api/v1/projects/abc/", undefined, 404],
      ["POST", "/api/v1/projects/", "{not json", 400],
      ["PUT", "/api/v1/projects/", "{}", 405],
    ] as const) {
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
      assert.equal(response.status, status, `${method} ${path}`);
      assert.match(response.headers.get("Content-Type") ?? "", /^application\/json/);
      assert.ok(isErrorBody(await response.json()), `${method} ${path}`);
    }
  });
});

describe("the workflow, step by step", () => {
  let client: WorkbenchClient;
  let other: WorkbenchClient;
  let project: Project;
  let rows: ResultRow[];
  const keys = ["topic", "budget_mentioned", "speakers"] as const;

  before(async () => {
    client = createWorkbenchClient({ baseUrl, token: await fetchToken(baseUrl, owner.username, owner.password) });
    other = createWorkbenchClient({
      baseUrl,
      token: await fetchToken(baseUrl, stranger.username, stranger.password),
    });
  });

  test("1. a project, which nobody else can see", async () => {
    project = await unwrap(
      client.POST("/api/v1/projects/", {
        body: { name: "Council records", description: "Minutes and speeches, 2025." },
      }),
    );
    assert.equal(project.step, 1);
    assert.equal(project.role, "owner");
    assert.equal(project.current_schema_version, null);
    assert.equal(project.description, "Minutes and speeches, 2025.");

    const path = { params: { path: { project_id: project.id } } };
    const hidden = await refusal(other.GET("/api/v1/projects/{project_id}/", path));
    assert.equal(hidden.status, 404);
    const notTheirs = await refusal(
      other.PATCH("/api/v1/projects/{project_id}/", { ...path, body: { name: "Mine now" } }),
    );
    assert.equal(notTheirs.status, 404);
    const theirs = await unwrap(other.GET("/api/v1/projects/"));
    assert.ok(!theirs.results.some((each) => each.id === project.id));
  });

  test("1. a TXT and a CSV uploaded, read into four documents", async () => {
    const report = await uploadDocuments(
      client,
      project.id,
      [
        { name: "minutes.txt", content: MINUTES, type: "text/plain" },
        { name: "speeches.csv", content: SPEECHES, type: "text/csv" },
      ],
      { textColumn: "text" },
    );
    assert.deepEqual(report.errors, []);
    assert.deepEqual(report.duplicates, []);
    for (const queued of report.processing) {
      const upload = await waitForUpload(client, project.id, queued.upload_id, WAIT);
      assert.equal(upload.status, "completed", JSON.stringify(upload.errors));
    }
    // Two a page, to read the list the way a long one is read.
    const documents = await allPages((page) =>
      unwrap(
        client.GET("/api/v1/projects/{project_id}/documents/", {
          params: {
            path: { project_id: project.id },
            query: { status: "ready", page, page_size: 2 },
          },
        }),
      ),
    );
    assert.equal(documents.length, 4);
    assert.equal(new Set(documents.map((document) => document.id)).size, 4);
    const speakers = documents
      .filter((document) => document.source_type === "csv")
      .map((document) => document.metadata["speaker"])
      .sort();
    assert.deepEqual(speakers, ["Lindqvist", "Okafor", "Ortiz"]);

    const again = await uploadDocuments(client, project.id, [
      { name: "minutes-copy.txt", content: MINUTES, type: "text/plain" },
    ]);
    assert.deepEqual(
      again.duplicates.map((duplicate) => duplicate.filename),
      ["minutes-copy.txt"],
    );
  });

  test("2. variables; a bad one is a 400 naming its fields", async () => {
    const path = { params: { path: { project_id: project.id } } };
    const bad = await refusal(
      client.POST("/api/v1/projects/{project_id}/variables/", {
        ...path,
        body: { key: "Not A Key!", type: "category", instructions: "", allowed_values: [] },
      }),
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.code, "validation_error");
    assert.ok("key" in bad.details, JSON.stringify(bad.details));

    const created: Schemas["Variable"][] = [];
    for (const body of [
      {
        key: keys[0],
        label: "Main topic",
        type: "category" as const,
        instructions: "The main topic of the text.",
        allowed_values: ["budget", "roads", "library", "other"],
      },
      {
        key: keys[1],
        type: "boolean" as const,
        instructions: "Whether the text mentions the budget.",
      },
      { key: keys[2], type: "integer" as const, instructions: "How many people speak." },
    ]) {
      created.push(
        await unwrap(client.POST("/api/v1/projects/{project_id}/variables/", { ...path, body })),
      );
    }
    assert.deepEqual(
      created.map((variable) => [variable.key, variable.position, variable.required]),
      [
        [keys[0], 0, false],
        [keys[1], 1, false],
        [keys[2], 2, false],
      ],
    );
    const listed = await unwrap(client.GET("/api/v1/projects/{project_id}/variables/", path));
    assert.deepEqual(
      listed.results.map((variable) => variable.key),
      [...keys],
    );
  });

  test("2. a job before any confirmed version is a 409", async () => {
    const conflict = await refusal(
      client.POST("/api/v1/projects/{project_id}/jobs/", {
        params: { path: { project_id: project.id } },
        body: { kind: "sample" },
      }),
    );
    assert.equal(conflict.status, 409);
    assert.equal(conflict.code, "no_confirmed_schema");
  });

  test("2. suggestions from the model, not saved", async () => {
    const answer = await unwrap(
      client.POST("/api/v1/projects/{project_id}/variables/suggest/", {
        params: { path: { project_id: project.id } },
        body: { max: 3 },
      }),
    );
    assert.ok(answer.suggestions.length > 0 && answer.suggestions.length <= 3);
    for (const suggestion of answer.suggestions) {
      assert.match(suggestion.key, /^[a-z][a-z0-9_]*$/);
      assert.ok(suggestion.instructions.length > 0);
    }
    const listed = await unwrap(
      client.GET("/api/v1/projects/{project_id}/variables/", {
        params: { path: { project_id: project.id } },
      }),
    );
    assert.equal(listed.count, keys.length);
  });

  test("3. the draft confirmed as version 1", async () => {
    const version = await unwrap(
      client.POST("/api/v1/projects/{project_id}/schema/versions/", {
        params: { path: { project_id: project.id } },
        body: { note: "First version" },
      }),
    );
    assert.equal(version.number, 1);
    assert.deepEqual(
      version.variables.map((variable) => variable.key),
      [...keys],
    );
    assert.deepEqual([...version.changes.added].sort(), [...keys].sort());
    assert.match(version.prompt.user_template, /\{document_text\}/);
    assert.equal(version.prompt_hash.length > 0, true);
  });

  test("4. an estimate, then a sample run followed to its end", async () => {
    const path = { params: { path: { project_id: project.id } } };
    const estimate = await unwrap(
      client.GET("/api/v1/projects/{project_id}/estimate/", {
        params: { ...path.params, query: { kind: "sample", sample_size: 4 } },
      }),
    );
    assert.equal(estimate.kind, "sample");
    assert.equal(estimate.mode, "standard");
    assert.equal(estimate.documents, 4);
    assert.ok(estimate.cost_usd > 0 && estimate.input_tokens > 0);

    const job = await unwrap(
      client.POST("/api/v1/projects/{project_id}/jobs/", {
        ...path,
        body: { kind: "sample", sample_size: 4 },
      }),
    );
    assert.equal(job.total, 4);
    const seen = new Set<JobStatus>();
    const ended = await waitForJob(client, job.id, {
      ...WAIT,
      onUpdate: (current) => seen.add(current.status),
    });
    assert.equal(ended.status, "completed", ended.error);
    const passedThrough: JobStatus[] = ["queued", "running", "completed"];
    assert.ok([...seen].every((status) => passedThrough.includes(status)), [...seen].join());
    assert.deepEqual([ended.processed, ended.succeeded, ended.failed], [4, 4, 0]);
    assert.equal(ended.progress, 1);
    assert.ok(ended.llm_calls >= 4 && ended.cost_usd > 0);
    assert.ok(ended.finished_at !== null && ended.simulated);

    const items = await unwrap(
      client.GET("/api/v1/jobs/{job_id}/documents/", {
        params: { path: { job_id: job.id } },
      }),
    );
    assert.deepEqual(
      items.results.map((item) => item.status),
      ["done", "done", "done", "done"],
    );
  });

  test("5. results, one row per document and a value per variable", async () => {
    const page = await unwrap(
      client.GET("/api/v1/projects/{project_id}/results/", {
        params: { path: { project_id: project.id } },
      }),
    );
    assert.equal(page.schema_version, 1);
    assert.equal(page.count, 4);
    rows = page.results;
    for (const row of rows) {
      assert.deepEqual(Object.keys(row.values).sort(), [...keys].sort());
      const topic = row.values[keys[0]];
      assert.ok(topic, `no topic for ${row.document.name}`);
      assert.ok(topic.value === null || typeof topic.value === "string");
      assert.equal(topic.review_status, "unchecked");
    }
  });

  test("5. a correction sits beside the model's value; agreement counts it", async () => {
    const [first, second] = rows;
    assert.ok(first && second);
    const topic = first.values[keys[0]];
    const budget = second.values[keys[1]];
    assert.ok(topic && budget);
    const corrected: Value = topic.value === "library" ? "roads" : "library";

    const patched = await unwrap(
      client.PATCH("/api/v1/extractions/{extraction_id}/", {
        params: { path: { extraction_id: topic.extraction_id } },
        body: { human_value: corrected, human_evidence: "" },
      }),
    );
    assert.equal(patched.review_status, "corrected");
    assert.equal(patched.final_value, corrected);
    assert.deepEqual(patched.value, topic.value, "the model's value is kept");

    const verified = await unwrap(
      client.PATCH("/api/v1/extractions/{extraction_id}/", {
        params: { path: { extraction_id: budget.extraction_id } },
        body: { verified: true },
      }),
    );
    assert.equal(verified.review_status, "verified");

    const bad = await refusal(
      client.PATCH("/api/v1/extractions/{extraction_id}/", {
        params: { path: { extraction_id: topic.extraction_id } },
        body: { human_value: "not an allowed topic" },
      }),
    );
    assert.equal(bad.status, 400);

    const agreement = await unwrap(
      client.GET("/api/v1/projects/{project_id}/agreement/", {
        params: { path: { project_id: project.id } },
      }),
    );
    const byKey = new Map(agreement.map((row) => [row.key, row]));
    assert.deepEqual(
      [byKey.get(keys[0])?.n_verified, byKey.get(keys[0])?.n_agree, byKey.get(keys[0])?.agreement],
      [1, 0, 0],
    );
    assert.deepEqual(
      [byKey.get(keys[1])?.n_verified, byKey.get(keys[1])?.n_agree, byKey.get(keys[1])?.agreement],
      [1, 1, 1],
    );
    assert.equal(byKey.get(keys[2])?.n_verified, 0);
  });

  test("5. CSV and XLSX exports, downloaded", async () => {
    const path = { params: { path: { project_id: project.id } } };
    const csvExport = await unwrap(
      client.POST("/api/v1/projects/{project_id}/exports/", { ...path, body: { format: "csv" } }),
    );
    const csvDone = await waitForExport(client, csvExport.id, WAIT);
    assert.equal(csvDone.status, "completed", csvDone.error);
    assert.equal(csvDone.row_count, 4);
    assert.ok(csvDone.download_url);
    const csv = await downloadExport(client, csvExport.id);
    assert.match(csv.contentType, /^text\/csv/);
    assert.match(csv.filename ?? "", /\.csv$/);
    const text = await csv.blob.text();
    const header = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
    assert.ok(header.startsWith("document_id,document_name"), header);
    for (const key of keys) {
      assert.ok(header.split(",").includes(key), `${key} not in ${header}`);
    }
    const corrected = rows[0]?.values[keys[0]];
    assert.ok(corrected);
    const [correctedLine] = text.split(/\r?\n/).filter((line) => line.startsWith(`${rows[0]?.document.id},`));
    assert.ok(correctedLine?.includes(corrected.value === "library" ? "roads" : "library"));

    const xlsxExport = await unwrap(
      client.POST("/api/v1/projects/{project_id}/exports/", { ...path, body: { format: "xlsx" } }),
    );
    assert.equal((await waitForExport(client, xlsxExport.id, WAIT)).status, "completed");
    const xlsx = await downloadExport(client, xlsxExport.id);
    assert.equal(xlsx.contentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert.match(xlsx.filename ?? "", /\.xlsx$/);
    const bytes = new Uint8Array(await xlsx.blob.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 2)], [0x50, 0x4b], "an XLSX file is a ZIP archive");
    assert.ok(bytes.length > 1000);

    const hidden = await refusal(
      other.GET("/api/v1/exports/{export_id}/download/", {
        params: { path: { export_id: xlsxExport.id } },
        parseAs: "blob",
      }),
    );
    assert.equal(hidden.status, 404);
  });
});
