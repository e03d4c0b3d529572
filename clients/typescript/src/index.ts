/**
 * A typed client of the extraction workbench's REST API.
 *
 * Calls go through openapi-fetch with the types generated from the API's OpenAPI
 * document (`./schema.ts`), so the compiler checks every path, parameter, body and
 * answer. Written by hand is only what the generator cannot say: the token header,
 * multipart uploads, file downloads, waiting for a job, upload or export to end, and
 * turning an error answer into a thrown `ApiError`.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type ErrorBody = Schemas["Error"];
export type Project = Schemas["Project"];
export type Variable = Schemas["Variable"];
export type Job = Schemas["Job"];
export type JobStatus = Schemas["JobStatusEnum"];
export type Export = Schemas["Export"];
export type UploadStatus = Schemas["UploadStatus"];
export type IngestReport = Schemas["IngestReport"];
export type ResultRow = Schemas["ResultRow"];
export type Value = Schemas["Value"];
export type WorkbenchClient = Client<paths>;

export interface ClientOptions {
  /** The server's origin, e.g. `http://localhost:8000`: paths carry `/api/v1/`. */
  baseUrl: string;
  /** The user's API token (see `fetchToken`). */
  token?: string;
  /** Another fetch (tests, server-side rendering); the global one by default. */
  fetch?: typeof globalThis.fetch;
}

/** A client whose every call sends the token. */
export function createWorkbenchClient({ baseUrl, token, fetch }: ClientOptions): WorkbenchClient {
  const client = createClient<paths>({ baseUrl, ...(fetch ? { fetch } : {}) });
  if (token) {
    client.use({
      onRequest({ request }) {
        request.headers.set("Authorization", `Token ${token}`);
        return request;
      },
    });
  }
  return client;
}

/** An error answer of the API: its status and the body every error has. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Seconds to wait before trying again (429 and some 503), else null. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }

  /** The error of an answer; one that is not in the API's error format says so. */
  static from(response: Response, body: unknown): ApiError {
    const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
    const wait = Number.isFinite(retryAfter) ? retryAfter : null;
    if (isErrorBody(body)) {
      const { code, message, details } = body.error;
      return new ApiError(response.status, code, message, details, wait);
    }
    const text = typeof body === "string" ? body.slice(0, 200) : JSON.stringify(body ?? null);
    return new ApiError(
      response.status,
      "unexpected_answer",
      `The server answered ${response.status} without the API's error body.`,
      { body: text },
      wait,
    );
  }
}

/** Whether a value has the API's error shape: `{error: {code, message, details}}`. */
export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) {
    return false;
  }
  const error: unknown = value.error;
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    typeof error.code === "string" &&
    "message" in error &&
    typeof error.message === "string" &&
    "details" in error &&
    typeof error.details === "object" &&
    error.details !== null &&
    !Array.isArray(error.details)
  );
}

type CallResult<T> = { data?: T; error?: unknown; response: Response };

/** The answer's data, or an `ApiError` thrown for an error answer. */
export async function unwrap<T>(call: Promise<CallResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    throw ApiError.from(response, error);
  }
  return data as T;
}

/**
 * Every item of a paginated list, reading page after page until `next` is null.
 * `readPage` gets the page number to pass as `?page=` (and may ask `page_size` up to 500).
 */
export async function allPages<T>(
  readPage: (page: number) => Promise<{ results: T[]; next: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page += 1) {
    const answer = await readPage(page);
    items.push(...answer.results);
    if (answer.next === null) {
      return items;
    }
  }
}

/** Exchange a username and password for the user's API token. */
export async function fetchToken(
  baseUrl: string,
  username: string,
  password: string,
  fetch?: typeof globalThis.fetch,
): Promise<string> {
  const client = createWorkbenchClient({ baseUrl, ...(fetch ? { fetch } : {}) });
  const answer = await unwrap(
    client.POST("/api/v1/auth/token/", { body: { username, password } }),
  );
  return answer.token;
}

export interface UploadFile {
  /** The file's name: its extension says how it is read (.txt, .csv, .pdf...). */
  name: string;
  content: BlobPart;
  /** Its media type, when known. */
  type?: string;
}

/**
 * Upload files as one multipart request. Small files may be read at once (`created`);
 * the others are read by workers (`processing`: follow them with `waitForUpload`).
 */
export async function uploadDocuments(
  client: WorkbenchClient,
  projectId: number,
  files: UploadFile[],
  options: { textColumn?: string } = {},
): Promise<IngestReport> {
  const body: Schemas["UploadRequest"] = {
    files: files.map(({ name, content, type }) => new File([content], name, { type: type ?? "" })),
    ...(options.textColumn === undefined ? {} : { text_column: options.textColumn }),
  };
  return unwrap(
    client.POST("/api/v1/projects/{project_id}/documents/", {
      params: { path: { project_id: projectId } },
      body,
      bodySerializer: multipart,
    }),
  );
}

function multipart(body: Schemas["UploadRequest"] | Schemas["PasteRequest"]): FormData {
  const form = new FormData();
  for (const [field, value] of Object.entries(body)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      form.append(field, item instanceof Blob ? item : String(item));
    }
  }
  return form;
}

export interface Download {
  blob: Blob;
  /** From Content-Disposition: what to save the file as. */
  filename: string | null;
  contentType: string;
}

/** An export's file (once the export is completed: see `waitForExport`). */
export async function downloadExport(client: WorkbenchClient, exportId: number): Promise<Download> {
  const { data, error, response } = await client.GET("/api/v1/exports/{export_id}/download/", {
    params: { path: { export_id: exportId } },
    parseAs: "blob",
  });
  if (!response.ok || data === undefined) {
    throw ApiError.from(response, error);
  }
  return {
    blob: data,
    filename: attachmentName(response.headers.get("Content-Disposition")),
    contentType: response.headers.get("Content-Type") ?? "",
  };
}

/** The file name of a Content-Disposition header (RFC 6266: filename* first). */
export function attachmentName(header: string | null): string | null {
  if (!header) {
    return null;
  }
  const encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (encoded?.[1]) {
    return decodeURIComponent(encoded[1].trim());
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;]+)/i.exec(header);
  const name = plain?.[1] ?? plain?.[2];
  return name === undefined ? null : name.replace(/\\(.)/g, "$1").trim();
}

export interface WaitOptions<T = unknown> {
  /** Between two reads; 1 s by default. */
  intervalMs?: number;
  /** Give up after this long (a `WaitTimeoutError`); 10 minutes by default. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with every read, e.g. to show a job's progress. */
  onUpdate?: (current: T) => void;
}

/** Waiting ended before the object did; `last` is its last state read. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";

  constructor(
    message: string,
    readonly last: unknown,
  ) {
    super(message);
  }
}

/** The statuses after which a job does nothing more until someone acts. */
export const JOB_END_STATUSES: readonly JobStatus[] = [
  "completed",
  "completed_with_errors",
  "failed",
  "cancelled",
  "paused",
];

/** Read a job until it ends (completed, with errors, failed, cancelled, or paused). */
export function waitForJob(
  client: WorkbenchClient,
  jobId: number,
  options: WaitOptions<Job> = {},
): Promise<Job> {
  return poll(
    () => unwrap(client.GET("/api/v1/jobs/{job_id}/", { params: { path: { job_id: jobId } } })),
    (job) => JOB_END_STATUSES.includes(job.status),
    `job ${jobId}`,
    options,
  );
}

/** Read an export until its file is written or it failed. */
export function waitForExport(
  client: WorkbenchClient,
  exportId: number,
  options: WaitOptions<Export> = {},
): Promise<Export> {
  return poll(
    () =>
      unwrap(
        client.GET("/api/v1/exports/{export_id}/", { params: { path: { export_id: exportId } } }),
      ),
    (item) => item.status === "completed" || item.status === "failed",
    `export ${exportId}`,
    options,
  );
}

/** Read an upload until the workers have read it (completed) or given up (failed). */
export function waitForUpload(
  client: WorkbenchClient,
  projectId: number,
  uploadId: number,
  options: WaitOptions<UploadStatus> = {},
): Promise<UploadStatus> {
  return poll(
    () =>
      unwrap(
        client.GET("/api/v1/projects/{project_id}/uploads/{upload_id}/", {
          params: { path: { project_id: projectId, upload_id: uploadId } },
        }),
      ),
    (upload) => upload.status === "completed" || upload.status === "failed",
    `upload ${uploadId}`,
    options,
  );
}

/** Wait until the workers have read every file an upload handed them. */
export function waitForUploads(
  client: WorkbenchClient,
  projectId: number,
  report: IngestReport,
  options: WaitOptions<UploadStatus> = {},
): Promise<UploadStatus[]> {
  return Promise.all(
    report.processing.map((queued) => waitForUpload(client, projectId, queued.upload_id, options)),
  );
}

async function poll<T>(
  read: () => Promise<T>,
  done: (current: T) => boolean,
  what: string,
  { intervalMs = 1000, timeoutMs = 600_000, signal, onUpdate }: WaitOptions<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const current = await read();
    onUpdate?.(current);
    if (done(current)) {
      return current;
    }
    if (Date.now() + intervalMs > deadline) {
      throw new WaitTimeoutError(`${what} did not end within ${timeoutMs} ms`, current);
    }
    await sleep(intervalMs, signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}
