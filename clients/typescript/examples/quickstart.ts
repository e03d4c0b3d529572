import { createWorkbenchClient, fetchToken, unwrap, uploadDocuments, waitForJob, waitForUploads } from "../src/index.js";

const { WORKBENCH_URL: baseUrl = "http://localhost:8000", WORKBENCH_USER: user = "demo", WORKBENCH_PASSWORD: password = "" } = process.env;
const api = createWorkbenchClient({ baseUrl, token: await fetchToken(baseUrl, user, password) });
const project = await unwrap(api.POST("/api/v1/projects/", { body: { name: "Council records" } }));
await waitForUploads(api, project.id, await uploadDocuments(api, project.id, [{ name: "minutes.txt", content: "The council voted to fund the library." }]));
const path = { params: { path: { project_id: project.id } } };
await unwrap(api.POST("/api/v1/projects/{project_id}/variables/", { ...path, body: { key: "topic", type: "text", instructions: "The main topic." } }));
await unwrap(api.POST("/api/v1/projects/{project_id}/schema/versions/", { ...path, body: {} }));
const job = await unwrap(api.POST("/api/v1/projects/{project_id}/jobs/", { ...path, body: { kind: "sample" } }));
console.log((await waitForJob(api, job.id)).status); // "completed"; an error answer throws an ApiError
