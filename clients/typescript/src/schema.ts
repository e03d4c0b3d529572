/**
 * The workbench's REST API, generated from its OpenAPI document (/api/schema/) by
 * clients/typescript/scripts/generate.mjs. Do not edit: run `make client`.
 */

export interface paths {
    "/api/v1/auth/token/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a username and password for an API token
         * @description Exchange a username and password for the user's API token (created once).
         */
        post: operations["v1_auth_token_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/exports/{export_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An export and its status */
        get: operations["v1_exports_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/exports/{export_id}/download/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download the export file */
        get: operations["v1_exports_download_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/extractions/{extraction_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A value with its evidence */
        get: operations["v1_extractions_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Correct or verify a value (the model's value is kept) */
        patch: operations["v1_extractions_partial_update"];
        trace?: never;
    };
    "/api/v1/jobs/{job_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A job with its progress */
        get: operations["v1_jobs_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{job_id}/cancel/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a job
         * @description Base for POST actions on a job that answer the updated job.
         */
        post: operations["v1_jobs_cancel_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{job_id}/documents/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The job's documents and their status */
        get: operations["v1_jobs_documents_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{job_id}/logs/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The job's event log, newest first */
        get: operations["v1_jobs_logs_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{job_id}/resume/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a job paused by its budget
         * @description Base for POST actions on a job that answer the updated job.
         */
        post: operations["v1_jobs_resume_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{job_id}/retry-failed/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Queue the failed documents again
         * @description Base for POST actions on a job that answer the updated job.
         */
        post: operations["v1_jobs_retry_failed_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List your projects */
        get: operations["v1_projects_list"];
        put?: never;
        /** Create a project */
        post: operations["v1_projects_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A project */
        get: operations["v1_projects_retrieve"];
        put?: never;
        post?: never;
        /** Delete a project and everything in it */
        delete: operations["v1_projects_destroy"];
        options?: never;
        head?: never;
        /** Rename or describe a project */
        patch: operations["v1_projects_partial_update"];
        trace?: never;
    };
    "/api/v1/projects/{project_id}/agreement/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Model-human agreement per variable on reviewed values */
        get: operations["v1_projects_agreement_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/documents/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a project's documents (without their text) */
        get: operations["v1_projects_documents_list"];
        put?: never;
        /** Add documents: upload files (multipart) or send pasted text (JSON) */
        post: operations["v1_projects_documents_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/documents/{document_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A document with its extracted text */
        get: operations["v1_projects_documents_retrieve"];
        put?: never;
        post?: never;
        /** Delete a document */
        delete: operations["v1_projects_documents_destroy"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/estimate/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Calls, tokens and cost of the next sample or full run of the draft
         * @description Only the values the run would ask for are counted: a value the version holds (or would carry from the current version on confirming) is not asked again.
         */
        get: operations["v1_projects_estimate_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/exports/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The project's exports, newest first */
        get: operations["v1_projects_exports_list"];
        put?: never;
        /** Export the dataset (small exports answer completed at once) */
        post: operations["v1_projects_exports_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/jobs/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A project's jobs, newest first */
        get: operations["v1_projects_jobs_list"];
        put?: never;
        /** Start a sample or full run of the current schema version */
        post: operations["v1_projects_jobs_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/members/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The project's members (the owner is not one) */
        get: operations["v1_projects_members_list"];
        put?: never;
        /** Add an existing user as a coder or a viewer (the owner only) */
        post: operations["v1_projects_members_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/members/{member_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Take a member out of the project (the owner only) */
        delete: operations["v1_projects_members_destroy"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/prompt-preview/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The exact messages and response format sent for one document
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        get: operations["v1_projects_prompt_preview_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/results/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One row per document, one value per variable */
        get: operations["v1_projects_results_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/review-queue/next/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The next value to check in the review queue */
        get: operations["v1_projects_review_queue_next_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/rounds/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The project's coding rounds, newest first */
        get: operations["v1_projects_rounds_list"];
        put?: never;
        /** Create a coding round (the owner only) */
        post: operations["v1_projects_rounds_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/schema/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The draft schema as the model will see it
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        get: operations["v1_projects_schema_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/schema/compare/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Two schema versions' agreement with the values people checked
         * @description Both versions are measured against the same checked values (a check made in either version counts for both), so the figures differ only by what the model answered. Variables in b's order, then those only a has.
         */
        get: operations["v1_projects_schema_compare_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/schema/versions/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every confirmed version, newest first
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        get: operations["v1_projects_schema_versions_list"];
        put?: never;
        /**
         * Confirm the draft as a new version
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        post: operations["v1_projects_schema_versions_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/schema/versions/{number}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One confirmed version
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        get: operations["v1_projects_schema_versions_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/schema/versions/{number}/restore/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restore a version into the draft and make it current
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        post: operations["v1_projects_schema_versions_restore_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/uploads/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Uploads parsed by the workers, newest first */
        get: operations["v1_projects_uploads_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/uploads/{upload_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One upload and how far its parse has got */
        get: operations["v1_projects_uploads_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/variables/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The draft's variables, in order
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        get: operations["v1_projects_variables_list"];
        put?: never;
        /**
         * Add a variable
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        post: operations["v1_projects_variables_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/variables/{variable_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A variable
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        get: operations["v1_projects_variables_retrieve"];
        put?: never;
        post?: never;
        /**
         * Delete a variable
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        delete: operations["v1_projects_variables_destroy"];
        options?: never;
        head?: never;
        /**
         * Edit a variable
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        patch: operations["v1_projects_variables_partial_update"];
        trace?: never;
    };
    "/api/v1/projects/{project_id}/variables/reorder/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reorder the variables
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        post: operations["v1_projects_variables_reorder_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}/variables/suggest/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Variables the model suggests (not saved)
         * @description Resolves the URL's project once, for its owner and members (anyone else: 404);
         *     every change made through steps 2-3 is the owner's (a member: 403).
         */
        post: operations["v1_projects_variables_suggest_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A coding round and each coder's progress */
        get: operations["v1_rounds_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/adjudications/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Set the final value of a unit (the owner or the round's adjudicator) */
        post: operations["v1_rounds_adjudications_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/close/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End an open round as it stands (the owner only) */
        post: operations["v1_rounds_close_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/disagreements/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The units where coders disagree, with the model's value */
        get: operations["v1_rounds_disagreements_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/download/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download a round's codes (one row per document x variable x coder) or its reliability (one row per variable)
         * @description CSV: UTF-8 with a byte order mark, `what` chooses the table. JSON: `{round, reliability, codes}`, the whole round whatever `what` says.
         */
        get: operations["v1_rounds_download_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/items/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's items of the round (blind: no model or other coder value) */
        get: operations["v1_rounds_items_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/items/{item_id}/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One of the caller's items */
        get: operations["v1_rounds_items_retrieve"];
        /** Code an item (typed like the variable) */
        put: operations["v1_rounds_items_update"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rounds/{round_id}/reliability/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reliability per variable: Krippendorff's alpha with a bootstrap 95 % interval, agreement, kappas, alpha with the model */
        get: operations["v1_rounds_reliability_retrieve"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AdjudicationRequest: {
            /** Format: int64 */
            document: number;
            variable: string;
            value: components["schemas"]["Value"] | null;
            note?: string;
        };
        AdjudicationResult: {
            id: number;
            document: number;
            variable: string;
            value: components["schemas"]["Value"] | null;
            note: string;
            decided_by: string | null;
            /** Format: date-time */
            updated_at: string;
        };
        AgreementRow: {
            key: string;
            label: string;
            type: components["schemas"]["TypeEnum"];
            n_verified: number;
            n_agree: number;
            /** Format: double */
            agreement: number | null;
            /** Format: double */
            kappa: number | null;
        };
        AuthTokenRequest: {
            username: string;
            password: string;
        };
        /** @enum {unknown} */
        BlankEnum: "";
        /** @enum {string} */
        BooleansEnum: "true_false" | "1_0";
        CoderProgress: {
            username: string;
            coded: number;
            total: number;
        };
        CompareSide: {
            /** Format: double */
            agreement: number | null;
            /** Format: double */
            kappa: number | null;
            /** @description Documents with a checked value and this version's. */
            n: number;
        };
        CompareVariable: {
            key: string;
            label: string;
            /** @description b's type of the variable where b has it, else a's. */
            type: string;
            in_a: boolean;
            in_b: boolean;
            a: components["schemas"]["CompareSide"];
            b: components["schemas"]["CompareSide"];
            /** @description Documents whose model value differs between the two versions. */
            changed_values: number;
            /** @description Documents with a value in both versions. */
            compared: number;
        };
        CompareVersion: {
            number: number;
            /** Format: date-time */
            created_at: string;
            note: string;
        };
        ConfirmRequest: {
            note?: string;
        };
        Disagreement: {
            document: components["schemas"]["DocumentRef"];
            variable: string;
            type: components["schemas"]["TypeEnum"];
            values: {
                [key: string]: components["schemas"]["Value"] | null;
            };
            model_value: components["schemas"]["Value"] | null;
            model_evidence: string;
            adjudicated: boolean;
            adjudicated_value: components["schemas"]["Value"] | null;
        };
        Document: {
            readonly id: number;
            readonly name: string;
            readonly source_type: components["schemas"]["SourceTypeEnum"];
            readonly size_bytes: number;
            readonly sha256: string;
            readonly char_count: number;
            readonly token_count: number;
            readonly page_count: number;
            readonly status: components["schemas"]["DocumentStatusEnum"];
            readonly error: string;
            /** @description Table columns of a CSV/XLSX row, a PDF's properties, OCR confidences. */
            readonly metadata: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            readonly created_at: string;
        };
        DocumentDetail: {
            readonly id: number;
            readonly name: string;
            readonly source_type: components["schemas"]["SourceTypeEnum"];
            readonly size_bytes: number;
            readonly sha256: string;
            readonly char_count: number;
            readonly token_count: number;
            readonly page_count: number;
            readonly status: components["schemas"]["DocumentStatusEnum"];
            readonly error: string;
            /** @description Table columns of a CSV/XLSX row, a PDF's properties, OCR confidences. */
            readonly metadata: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            readonly created_at: string;
            readonly text: string;
            /** @description Char index where each page starts. */
            readonly page_offsets: number[];
        };
        /** @description The document another object is about: a job item, a log line, a coding item. */
        DocumentRef: {
            id: number;
            name: string;
        };
        /**
         * @description * `queued` - Queued
         *     * `processing` - Processing
         *     * `ready` - Ready
         *     * `failed` - Failed
         * @enum {string}
         */
        DocumentStatusEnum: "queued" | "processing" | "ready" | "failed";
        Duplicate: {
            filename: string;
            existing_id: number;
        };
        Estimate: {
            kind: components["schemas"]["KindEnum"];
            documents: number;
            llm_calls: number;
            input_tokens: number;
            output_tokens: number;
            /** Format: double */
            cost_usd: number;
            model: string;
            prompt_tokens_per_call: number;
            /** @description What the token counts rest on, in words. */
            basis: string;
            /**
             * @description The price cost_usd is given at.
             *
             *     * `standard` - standard
             *     * `batch` - batch
             */
            mode: components["schemas"]["RunModeEnum"];
            /** @description Values the run reuses instead of asking: carried from the previous version, or already extracted for this one. */
            carried_values: number;
        };
        /**
         * @description * `passed` - Supports the value
         *     * `failed` - Does not support the value
         *     * `not_applicable` - Not checkable (other script, free text...)
         * @enum {string}
         */
        EvidenceCheckEnum: "passed" | "failed" | "not_applicable";
        Export: {
            readonly id: number;
            readonly format: components["schemas"]["FormatEnum"];
            readonly status: components["schemas"]["ExportStatusEnum"];
            readonly schema_version: number;
            readonly row_count: number;
            readonly size_bytes: number;
            readonly include_evidence: boolean;
            readonly include_audit: boolean;
            /** @description wide or long. */
            readonly layout: components["schemas"]["LayoutEnum"];
            /** @description CSV: true_false or 1_0. */
            readonly booleans: components["schemas"]["BooleansEnum"];
            /** @description The values or documents changed after the file was written: export again. */
            readonly out_of_date: boolean;
            readonly error: string;
            readonly download_url: string | null;
            /** Format: date-time */
            readonly created_at: string;
            /** Format: date-time */
            readonly finished_at: string | null;
        };
        ExportCreateRequest: {
            format: components["schemas"]["FormatEnum"];
            schema_version?: number;
            /**
             * @description `<key>__evidence` and `<key>__status` after each variable (the audit columns include both).
             * @default false
             */
            include_evidence?: boolean;
            /** @description Per variable `<key>__model`, `<key>__human`, `<key>__review`, `<key>__status`, `<key>__confidence`, `<key>__evidence`. Absent or null: on for XLSX and JSON, off for CSV. */
            include_audit?: boolean | null;
            /**
             * @description CSV only: start with a UTF-8 BOM for Excel.
             * @default false
             */
            bom?: boolean;
            /**
             * @description wide: a row per document; long: a row per document and variable (document_id, document_name, variable, value, model_value, human_value, review_status, status, confidence, evidence, evidence_start, evidence_end).
             *
             *     * `wide` - Wide (a row per document)
             *     * `long` - Long (a row per document and variable)
             * @default wide
             */
            layout?: components["schemas"]["LayoutEnum"];
            /**
             * @description CSV only: booleans as TRUE/FALSE or as 1/0 (what Stata reads as numbers).
             *
             *     * `true_false` - true_false
             *     * `1_0` - 1_0
             * @default true_false
             */
            booleans?: components["schemas"]["BooleansEnum"];
            /** @description Package only: the dataset also as Stata and/or SPSS files, besides CSV and Parquet. */
            package_formats?: components["schemas"]["PackageFormatsEnum"][];
            /**
             * @description Package only: the documents' texts in texts/ (by default nothing of a document beyond the quotes leaves).
             * @default false
             */
            include_texts?: boolean;
        };
        /**
         * @description * `queued` - Queued
         *     * `running` - Running
         *     * `completed` - Completed
         *     * `failed` - Failed
         * @enum {string}
         */
        ExportStatusEnum: "queued" | "running" | "completed" | "failed";
        Extraction: {
            readonly id: number;
            readonly document: number;
            readonly schema_version: number;
            readonly variable_key: string;
            readonly value: components["schemas"]["Value"];
            readonly status: components["schemas"]["ExtractionStatusEnum"];
            /** @description Why the value was flagged. */
            readonly message: string;
            readonly evidence: string;
            readonly evidence_start: number | null;
            readonly evidence_end: number | null;
            /** Format: double */
            readonly confidence: number | null;
            /** @description The model's answer for this value. */
            readonly raw: unknown;
            readonly model: string;
            readonly human_value: components["schemas"]["Value"];
            /** @description The quote a person gave for their correction, if any. */
            readonly human_evidence: string;
            /** @description human_value replaces the model's */
            readonly corrected: boolean;
            readonly verified: boolean;
            readonly final_value: components["schemas"]["Value"];
            readonly review_status: components["schemas"]["ReviewStatusEnum"];
            /**
             * @description passed, failed or not_applicable; empty when there was no quote to check (none given, or not found in the document).
             *
             *     * `passed` - Supports the value
             *     * `failed` - Does not support the value
             *     * `not_applicable` - Not checkable (other script, free text...)
             */
            readonly evidence_check: components["schemas"]["EvidenceCheckEnum"] | components["schemas"]["BlankEnum"];
            readonly blind_entered: boolean;
            readonly blind_value: components["schemas"]["Value"];
            /** Format: date-time */
            readonly reviewed_at: string | null;
            readonly carried_from: number | null;
        };
        /**
         * @description * `ok` - OK
         *     * `missing` - Missing
         *     * `invalid` - Invalid
         *     * `unsupported_evidence` - Unsupported evidence
         *     * `evidence_mismatch` - Evidence does not support the value
         *     * `error` - Error
         * @enum {string}
         */
        ExtractionStatusEnum: "ok" | "missing" | "invalid" | "unsupported_evidence" | "evidence_mismatch" | "error";
        /**
         * @description * `csv` - CSV
         *     * `xlsx` - Excel (XLSX)
         *     * `json` - JSON
         *     * `dta` - Stata (DTA)
         *     * `sav` - SPSS (SAV)
         *     * `parquet` - Parquet
         *     * `package` - Replication package (ZIP)
         * @enum {string}
         */
        FormatEnum: "csv" | "xlsx" | "json" | "dta" | "sav" | "parquet" | "package";
        IngestError: {
            filename: string;
            code: string;
            message: string;
            document_id?: number | null;
        };
        IngestNote: {
            filename: string;
            message: string;
        };
        IngestReport: {
            notes: components["schemas"]["IngestNote"][];
            created: components["schemas"]["Document"][];
            duplicates: components["schemas"]["Duplicate"][];
            /** @description Stored and handed to a worker: follow them at uploads/{upload_id}/. */
            processing: components["schemas"]["UploadQueued"][];
            errors: components["schemas"]["IngestError"][];
        };
        Job: {
            readonly id: number;
            readonly project: number;
            readonly kind: components["schemas"]["KindEnum"];
            readonly mode: components["schemas"]["JobModeEnum"];
            readonly status: components["schemas"]["JobStatusEnum"];
            readonly schema_version: number;
            readonly model: string;
            readonly total: number;
            readonly processed: number;
            readonly succeeded: number;
            readonly failed: number;
            readonly flagged: number;
            /** Format: double */
            readonly progress: number;
            readonly llm_calls: number;
            readonly input_tokens: number;
            readonly cached_tokens: number;
            readonly output_tokens: number;
            /** Format: double */
            readonly cost_usd: number;
            /** Format: double */
            readonly estimated_cost_usd: number | null;
            /** Format: double */
            readonly budget_usd: number | null;
            readonly eta_seconds: number | null;
            readonly error: string;
            readonly simulated: boolean;
            /** @description Batch mode: the job's latest provider batch (id, status, request_counts and the rest); null for a standard job or before its first file. */
            readonly provider_batch: components["schemas"]["ProviderBatch"] | null;
            /** @description Batch mode: every provider batch of the job (one per input file). */
            readonly provider_batches: components["schemas"]["ProviderBatch"][];
            readonly sample_size: number | null;
            readonly seed: number | null;
            /** Format: date-time */
            readonly created_at: string;
            /** Format: date-time */
            readonly started_at: string | null;
            /** Format: date-time */
            readonly finished_at: string | null;
        };
        JobCreateRequest: {
            kind: components["schemas"]["KindEnum"];
            /**
             * @description standard: calls at once; batch: through the provider's Batch API, answered within 24 h at the batch price (409 batch_unavailable when the provider has none, 409 over_budget when the estimate exceeds budget_usd).
             *
             *     * `standard` - standard
             *     * `batch` - batch
             * @default standard
             */
            mode?: components["schemas"]["RunModeEnum"];
            sample_size?: number;
            document_ids?: number[];
            /**
             * Format: double
             * @description More than 0 and under 100,000,000 USD; absent or null: no budget.
             */
            budget_usd?: number | null;
            /** @description Run the full corpus although the project's reliability gate is not met: the reason, recorded in the job's log. */
            reliability_override?: string;
        };
        JobItem: {
            readonly document: components["schemas"]["DocumentRef"];
            readonly status: components["schemas"]["JobItemStatusEnum"];
            readonly attempts: number;
            readonly error: string;
            readonly llm_calls: number;
            /** @description The variables the model was asked for this document (the others were already held), recorded when it is done; null: every variable of the version, or not done yet. */
            readonly asked: string[] | null;
            /** Format: date-time */
            readonly started_at: string | null;
            /** Format: date-time */
            readonly finished_at: string | null;
        };
        /**
         * @description * `pending` - Pending
         *     * `running` - Running
         *     * `done` - Done
         *     * `failed` - Failed
         *     * `cancelled` - Cancelled
         * @enum {string}
         */
        JobItemStatusEnum: "pending" | "running" | "done" | "failed" | "cancelled";
        JobLog: {
            /** Format: date-time */
            readonly created_at: string;
            readonly level: components["schemas"]["JobLogLevelEnum"];
            readonly event: string;
            readonly message: string;
            readonly document: components["schemas"]["DocumentRef"] | null;
            readonly data: {
                [key: string]: unknown;
            };
        };
        /**
         * @description * `debug` - Debug
         *     * `info` - Info
         *     * `warning` - Warning
         *     * `error` - Error
         * @enum {string}
         */
        JobLogLevelEnum: "debug" | "info" | "warning" | "error";
        /**
         * @description * `standard` - Standard
         *     * `batch` - Batch (up to 24 h, batch price)
         * @enum {string}
         */
        JobModeEnum: "standard" | "batch";
        /**
         * @description * `queued` - Queued
         *     * `running` - Running
         *     * `cancelling` - Cancelling
         *     * `cancelled` - Cancelled
         *     * `completed` - Completed
         *     * `completed_with_errors` - Completed with errors
         *     * `failed` - Failed
         *     * `paused` - Paused (budget reached)
         * @enum {string}
         */
        JobStatusEnum: "queued" | "running" | "cancelling" | "cancelled" | "completed" | "completed_with_errors" | "failed" | "paused";
        KappaPair: {
            coders: string[];
            /** Format: double */
            kappa: number | null;
            n: number;
        };
        /**
         * @description * `sample` - Sample
         *     * `full` - Full corpus
         * @enum {string}
         */
        KindEnum: "sample" | "full";
        /** @enum {string} */
        LayoutEnum: "wide" | "long";
        Member: {
            readonly id: number;
            readonly username: string;
            readonly role: components["schemas"]["MemberRoleEnum"];
            /** Format: date-time */
            readonly created_at: string;
        };
        MemberAddRequest: {
            username: string;
            role: components["schemas"]["MemberRoleEnum"];
        };
        /**
         * @description * `coder` - Coder
         *     * `viewer` - Viewer
         * @enum {string}
         */
        MemberRoleEnum: "coder" | "viewer";
        ModelVsAdjudicated: {
            /** Format: double */
            agreement: number | null;
            /** Format: double */
            kappa: number | null;
            n: number;
        };
        /**
         * @description * `dta` - dta
         *     * `sav` - sav
         * @enum {string}
         */
        PackageFormatsEnum: "dta" | "sav";
        PaginatedDisagreementList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Disagreement"][];
        };
        PaginatedDocumentList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Document"][];
        };
        PaginatedExportList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Export"][];
        };
        PaginatedJobItemList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["JobItem"][];
        };
        PaginatedJobList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Job"][];
        };
        PaginatedJobLogList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["JobLog"][];
        };
        PaginatedMemberList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Member"][];
        };
        PaginatedProjectList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Project"][];
        };
        PaginatedRoundItemList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["RoundItem"][];
        };
        PaginatedRoundList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Round"][];
        };
        PaginatedUploadStatusList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["UploadStatus"][];
        };
        PaginatedVariableList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Variable"][];
        };
        PaginatedVersionList: {
            /** @example 123 */
            count: number;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=4
             */
            next: string | null;
            /**
             * Format: uri
             * @example http://api.example.org/accounts/?page=2
             */
            previous: string | null;
            results: components["schemas"]["Version"][];
        };
        PasteRequest: {
            name: string;
            text: string;
        };
        PatchedProjectRequest: {
            name?: string;
            /** @description What the corpus is and what you want to learn from it. */
            description?: string;
            /** @description Domain context given to the model with every document. */
            instructions?: string;
            /** @description LLM model; empty or absent uses the server default. */
            model?: string;
            /** @description Tesseract languages for scanned pages and images, joined with + (eng+deu). */
            ocr_languages?: string;
            /** @description Reviewers enter their own value before they see the model's. */
            blind_review?: boolean;
            /** @description Refuse the full run until a completed coding round shows every variable's reliability (Krippendorff's alpha with the model) at the threshold. */
            require_reliability?: boolean;
            /**
             * Format: double
             * @description The Krippendorff's alpha (with the model) every variable must reach on a completed coding round before a full run, when require_reliability is on.
             */
            reliability_threshold?: number;
        };
        PatchedReviewRequest: {
            /** @description The correct value; null means none. */
            human_value?: components["schemas"]["Value"] | null;
            /** @description With human_value: the quote that supports your value (exports show it). */
            human_evidence?: string;
            /** @description Blind review: your own answer, given before seeing the model's. It is what agreement counts; the value becomes verified when it agrees with the model's, else corrected to it (send corrected: false to take the model's after). */
            blind_value?: components["schemas"]["Value"] | null;
            verified?: boolean;
            /** @description false removes a correction (the model's value applies). */
            corrected?: boolean;
        };
        PatchedVariableRequest: {
            key?: string;
            label?: string;
            type?: components["schemas"]["TypeEnum"];
            instructions?: string;
            /** @description Required, unique and non-empty for category and multi_category. */
            allowed_values?: string[];
            /** @description Category types: {allowed value: [other words for it]}, which the evidence checks accept as naming the value. */
            synonyms?: {
                [key: string]: string[];
            };
            /** @default false */
            required?: boolean;
        };
        Project: {
            readonly id: number;
            name: string;
            /** @description What the corpus is and what you want to learn from it. */
            description: string;
            /** @description Domain context given to the model with every document. */
            instructions: string;
            /** @description LLM model; empty or absent uses the server default. */
            model: string;
            /** @description Tesseract languages for scanned pages and images, joined with + (eng+deu). */
            ocr_languages: string;
            /** @description Reviewers enter their own value before they see the model's. */
            blind_review: boolean;
            /** @description Refuse the full run until a completed coding round shows every variable's reliability (Krippendorff's alpha with the model) at the threshold. */
            require_reliability: boolean;
            /**
             * Format: double
             * @description The Krippendorff's alpha (with the model) every variable must reach on a completed coding round before a full run, when require_reliability is on.
             */
            reliability_threshold: number;
            /** @description Where the workflow stands, 1-5. */
            readonly step: number;
            readonly document_count: number;
            readonly variable_count: number;
            readonly current_schema_version: number | null;
            readonly owner: string;
            /**
             * @description What you are in this project: owner, coder (codes and reviews values) or viewer (reads only).
             *
             *     * `owner` - owner
             *     * `coder` - coder
             *     * `viewer` - viewer
             */
            readonly role: components["schemas"]["ProjectRoleEnum"];
            /** Format: date-time */
            readonly created_at: string;
            /** Format: date-time */
            readonly updated_at: string;
        };
        ProjectRequest: {
            name: string;
            /** @description What the corpus is and what you want to learn from it. */
            description?: string;
            /** @description Domain context given to the model with every document. */
            instructions?: string;
            /** @description LLM model; empty or absent uses the server default. */
            model?: string;
            /** @description Tesseract languages for scanned pages and images, joined with + (eng+deu). */
            ocr_languages?: string;
            /** @description Reviewers enter their own value before they see the model's. */
            blind_review?: boolean;
            /** @description Refuse the full run until a completed coding round shows every variable's reliability (Krippendorff's alpha with the model) at the threshold. */
            require_reliability?: boolean;
            /**
             * Format: double
             * @description The Krippendorff's alpha (with the model) every variable must reach on a completed coding round before a full run, when require_reliability is on.
             */
            reliability_threshold?: number;
        };
        /**
         * @description * `owner` - owner
         *     * `coder` - coder
         *     * `viewer` - viewer
         * @enum {string}
         */
        ProjectRoleEnum: "owner" | "coder" | "viewer";
        /** @description The two messages the model gets: the system message and the per-document one. */
        Prompt: {
            system: string;
            /** @description The per-document message, with {document_name} and {document_text}. */
            user_template: string;
        };
        PromptCall: {
            group: number;
            groups: number;
            chunk: number;
            chunks: number;
            chunk_start: number;
            chunk_end: number;
            variables: string[];
            messages: components["schemas"]["PromptMessage"][];
            response_format: {
                [key: string]: unknown;
            };
            max_output_tokens: number;
            input_tokens: number;
        };
        PromptMessage: {
            role: components["schemas"]["PromptMessageRoleEnum"];
            content: string;
        };
        /**
         * @description * `system` - system
         *     * `user` - user
         * @enum {string}
         */
        PromptMessageRoleEnum: "system" | "user";
        /** @description The response of the prompt preview (documentation only). */
        PromptPreview: {
            document: number;
            model: string;
            /** @description The first call's messages. */
            messages: components["schemas"]["PromptMessage"][];
            /** @description The first call's response format. */
            response_format: {
                [key: string]: unknown;
            };
            /** @description Over every call for the document. */
            input_tokens: number;
            llm_calls: number;
            calls: components["schemas"]["PromptCall"][];
        };
        ProviderBatch: {
            /** @description The provider's batch id (null until submitted). */
            readonly id: string | null;
            readonly status: components["schemas"]["ProviderBatchStatusEnum"];
            /** @description The provider's {total, completed, failed}. */
            request_counts: {
                [key: string]: number;
            };
            /** @description Lines of the input file. */
            readonly requests: number;
            /** @description Size of the input file. */
            readonly bytes: number;
            /** Format: date-time */
            readonly created_at: string;
            /** Format: date-time */
            readonly submitted_at: string | null;
            /** Format: date-time */
            readonly ended_at: string | null;
            /** Format: date-time */
            readonly collected_at: string | null;
            readonly error: string;
        };
        /**
         * @description * `preparing` - Preparing the file
         *     * `submitting` - Submitting
         *     * `validating` - Validating
         *     * `in_progress` - In progress
         *     * `finalizing` - Finalizing
         *     * `completed` - Completed
         *     * `failed` - Failed
         *     * `expired` - Expired
         *     * `cancelling` - Cancelling
         *     * `cancelled` - Cancelled
         * @enum {string}
         */
        ProviderBatchStatusEnum: "preparing" | "submitting" | "validating" | "in_progress" | "finalizing" | "completed" | "failed" | "expired" | "cancelling" | "cancelled";
        /** @description The next value to check; outside blind mode also what the model said. */
        QueueItem: {
            extraction_id: number;
            document: components["schemas"]["DocumentRef"];
            variable: components["schemas"]["QueueVariable"];
            progress: components["schemas"]["QueueProgress"];
            blind: boolean;
            model_value?: components["schemas"]["Value"] | null;
            evidence?: string;
            evidence_start?: number | null;
            evidence_end?: number | null;
            /** Format: double */
            confidence?: number | null;
        };
        QueueProgress: {
            checked: number;
            total: number;
        };
        QueueVariable: {
            key: string;
            label: string;
            type: components["schemas"]["TypeEnum"];
        };
        Reliability: {
            variables: components["schemas"]["VariableReliability"][];
        };
        ReorderRequest: {
            order: number[];
        };
        /** @description One value of a results row (documentation only: see cell_payload). */
        ResultCell: {
            extraction_id: number;
            value: components["schemas"]["Value"] | null;
            /**
             * @description How the checks judged the model's value.
             *
             *     * `ok` - OK
             *     * `missing` - Missing
             *     * `invalid` - Invalid
             *     * `unsupported_evidence` - Unsupported evidence
             *     * `evidence_mismatch` - Evidence does not support the value
             *     * `error` - Error
             */
            status: components["schemas"]["ExtractionStatusEnum"];
            evidence: string;
            evidence_start: number | null;
            evidence_end: number | null;
            /** Format: double */
            confidence: number | null;
            human_value: components["schemas"]["Value"] | null;
            corrected: boolean;
            verified: boolean;
            final_value: components["schemas"]["Value"] | null;
            message: string;
            /** @description The model's value. */
            model_value: components["schemas"]["Value"] | null;
            review_status: components["schemas"]["ReviewStatusEnum"];
            /**
             * @description passed, failed or not_applicable; empty: nothing checked.
             *
             *     * `passed` - Supports the value
             *     * `failed` - Does not support the value
             *     * `not_applicable` - Not checkable (other script, free text...)
             */
            evidence_check: components["schemas"]["EvidenceCheckEnum"] | components["schemas"]["BlankEnum"];
            /** @description The schema version this value and its review were carried from, unchanged; null when this version's own run gave it. */
            carried_from: number | null;
        };
        ResultDocument: {
            id: number;
            name: string;
            metadata: {
                [key: string]: unknown;
            };
        };
        ResultRow: {
            document: components["schemas"]["ResultDocument"];
            /** @description One entry per variable key; null where the document has no value. */
            values: {
                [key: string]: components["schemas"]["ResultCell"] | null;
            };
        };
        ResultsPage: {
            count: number;
            /** Format: uri */
            next: string | null;
            /** Format: uri */
            previous: string | null;
            schema_version: number;
            results: components["schemas"]["ResultRow"][];
        };
        ResumeRequest: {
            /**
             * Format: double
             * @description More than 0 and under 100,000,000 USD; absent or null: no budget.
             */
            budget_usd?: number | null;
        };
        /**
         * @description * `unchecked` - Unchecked
         *     * `verified` - Verified
         *     * `corrected` - Corrected
         * @enum {string}
         */
        ReviewStatusEnum: "unchecked" | "verified" | "corrected";
        Round: {
            readonly id: number;
            readonly name: string;
            readonly status: components["schemas"]["RoundStatusEnum"];
            readonly blind: boolean;
            readonly schema_version: number;
            readonly seed: number | null;
            readonly coders: components["schemas"]["CoderProgress"][];
            /** @description Documents coded in the round. */
            readonly units: number;
            readonly variables: string[];
            readonly documents: number[];
            readonly adjudicator: string | null;
            /** Format: date-time */
            readonly created_at: string;
            /** Format: date-time */
            readonly completed_at: string | null;
        };
        RoundCreateRequest: {
            coders: string[];
            schema_version?: number;
            sample_size?: number;
            document_ids?: number[];
            variables?: string[];
            /** @default true */
            blind?: boolean;
            /** Format: int64 */
            seed?: number;
            name?: string;
            adjudicator?: string;
        };
        RoundItem: {
            id: number;
            document: components["schemas"]["DocumentRef"];
            variable: string;
            /** @description The caller's value. */
            value: components["schemas"]["Value"] | null;
            coded: boolean;
            /** Format: date-time */
            coded_at: string | null;
            /** @description Absent in a blind round until the item is coded. */
            model_value?: components["schemas"]["Value"] | null;
            model_evidence?: string;
            /** @description The other coders' values, once the item is coded. */
            other_values?: {
                [key: string]: components["schemas"]["Value"] | null;
            };
        };
        RoundItemValueRequest: {
            value: components["schemas"]["Value"] | null;
        };
        /**
         * @description * `open` - Open
         *     * `completed` - Completed
         * @enum {string}
         */
        RoundStatusEnum: "open" | "completed";
        /**
         * @description * `standard` - standard
         *     * `batch` - batch
         * @enum {string}
         */
        RunModeEnum: "standard" | "batch";
        Schema: {
            variables: components["schemas"]["Variable"][];
            prompt: components["schemas"]["Prompt"];
            json_schema: {
                [key: string]: unknown;
            };
            prompt_hash: string;
            current_version: number | null;
            dirty: boolean;
        };
        /**
         * @description * `txt` - Plain text
         *     * `md` - Markdown
         *     * `pdf` - PDF
         *     * `docx` - Word (DOCX)
         *     * `html` - HTML
         *     * `csv` - CSV row
         *     * `xlsx` - Excel row
         *     * `image` - Image
         *     * `paste` - Pasted text
         *     * `unknown` - Unknown
         * @enum {string}
         */
        SourceTypeEnum: "txt" | "md" | "pdf" | "docx" | "html" | "csv" | "xlsx" | "image" | "paste" | "unknown";
        SuggestRequest: {
            document_ids?: number[];
            /** @default 10 */
            max?: number;
        };
        SuggestResponse: {
            suggestions: components["schemas"]["Suggestion"][];
        };
        /** @description A variable the model proposes, not saved. */
        Suggestion: {
            key: string;
            label: string;
            type: components["schemas"]["TypeEnum"];
            instructions: string;
            allowed_values: string[];
            required: boolean;
        };
        TokenResponse: {
            token: string;
        };
        /**
         * @description * `text` - Text
         *     * `integer` - Integer
         *     * `number` - Number
         *     * `boolean` - Yes / no
         *     * `date` - Date
         *     * `category` - Category (one of)
         *     * `multi_category` - Categories (any of)
         *     * `list` - List of texts
         * @enum {string}
         */
        TypeEnum: "text" | "integer" | "number" | "boolean" | "date" | "category" | "multi_category" | "list";
        UploadQueued: {
            filename: string;
            upload_id: number;
            document_id: number | null;
        };
        UploadRequest: {
            /** @description One or more files. */
            files: Blob[];
            /** @description For CSV/XLSX: the column that holds the text. */
            text_column?: string;
        };
        /**
         * @description * `txt` - txt
         *     * `md` - md
         *     * `pdf` - pdf
         *     * `docx` - docx
         *     * `html` - html
         *     * `csv` - csv
         *     * `xlsx` - xlsx
         *     * `image` - image
         *     * `paste` - paste
         *     * `unknown` - unknown
         *     * `zip` - zip
         * @enum {string}
         */
        UploadSourceTypeEnum: "txt" | "md" | "pdf" | "docx" | "html" | "csv" | "xlsx" | "image" | "paste" | "unknown" | "zip";
        /** @description An uploaded file and how far its parse has got (``projects.parsing``). */
        UploadStatus: {
            readonly id: number;
            readonly filename: string;
            readonly status: components["schemas"]["UploadStatusStatusEnum"];
            readonly source_type: components["schemas"]["UploadSourceTypeEnum"];
            readonly size_bytes: number;
            /**
             * Format: double
             * @description 0 to 1.
             */
            readonly progress: number;
            readonly documents_created: number;
            readonly duplicates: components["schemas"]["Duplicate"][];
            readonly errors: components["schemas"]["IngestError"][];
            readonly notes: components["schemas"]["IngestNote"][];
            readonly error: string;
            /** @description The file's document while it is queued or processing, then the document it became (one-document files); null for tables and archives. */
            readonly document: number | null;
            readonly attempts: number;
            /** Format: date-time */
            readonly created_at: string;
            /** Format: date-time */
            readonly started_at: string | null;
            /** Format: date-time */
            readonly finished_at: string | null;
        };
        /**
         * @description * `queued` - Queued
         *     * `processing` - Processing
         *     * `completed` - Completed
         *     * `failed` - Failed
         * @enum {string}
         */
        UploadStatusStatusEnum: "queued" | "processing" | "completed" | "failed";
        /** @description A variable's value: a string (text, date, category), a number, a boolean, a list of strings (multi_category, list), or null for no value. */
        Value: (string | number | boolean | string[]) | null;
        Variable: {
            readonly id: number;
            key: string;
            label: string;
            type: components["schemas"]["TypeEnum"];
            instructions: string;
            /** @description Required, unique and non-empty for category and multi_category. */
            allowed_values: string[];
            /** @description Category types: {allowed value: [other words for it]}, which the evidence checks accept as naming the value. */
            synonyms: {
                [key: string]: string[];
            };
            /** @default false */
            required: boolean;
            readonly position: number;
        };
        VariableReliability: {
            key: string;
            label: string;
            type: components["schemas"]["TypeEnum"];
            level: components["schemas"]["VariableReliabilityLevelEnum"];
            units: number;
            coders: string[];
            /** Format: double */
            alpha: number | null;
            alpha_ci95: number[] | null;
            /** Format: double */
            percent_agreement: number | null;
            kappa_pairs: components["schemas"]["KappaPair"][];
            /** Format: double */
            fleiss_kappa: number | null;
            /** Format: double */
            alpha_with_model: number | null;
            model_vs_adjudicated: components["schemas"]["ModelVsAdjudicated"] | null;
        };
        /**
         * @description * `nominal` - nominal
         *     * `interval` - interval
         * @enum {string}
         */
        VariableReliabilityLevelEnum: "nominal" | "interval";
        VariableRequest: {
            key: string;
            label?: string;
            type: components["schemas"]["TypeEnum"];
            instructions: string;
            /** @description Required, unique and non-empty for category and multi_category. */
            allowed_values?: string[];
            /** @description Category types: {allowed value: [other words for it]}, which the evidence checks accept as naming the value. */
            synonyms?: {
                [key: string]: string[];
            };
            /** @default false */
            required?: boolean;
        };
        Version: {
            readonly number: number;
            readonly note: string;
            readonly variables: components["schemas"]["VersionVariable"][];
            /** @description The project's instructions then. */
            readonly instructions: string;
            readonly prompt: components["schemas"]["Prompt"];
            readonly json_schema: {
                [key: string]: unknown;
            };
            readonly prompt_hash: string;
            readonly changes: components["schemas"]["VersionChanges"];
            /** Format: date-time */
            readonly created_at: string;
            readonly created_by: string | null;
        };
        /** @description Keys of the version's variables by what changed from the version before. */
        VersionChanges: {
            added: string[];
            removed: string[];
            changed: string[];
            unchanged: string[];
        };
        /** @description A variable as a version holds it (the draft's may have changed since). */
        VersionVariable: {
            key: string;
            label: string;
            type: components["schemas"]["TypeEnum"];
            instructions: string;
            allowed_values: string[];
            required: boolean;
            /** @description Present when the variable has any. */
            synonyms?: {
                [key: string]: string[];
            };
        };
        VersionsCompared: {
            a: components["schemas"]["CompareVersion"];
            b: components["schemas"]["CompareVersion"];
            variables: components["schemas"]["CompareVariable"][];
        };
        /** @description Every error answer (API.md, Conventions). */
        Error: {
            error: {
                /** @description Stable snake_case code, e.g. validation_error. */
                code: string;
                /** @description A sentence for a person. */
                message: string;
                /** @description Per field for validation errors; may be empty. */
                details: {
                    [key: string]: unknown;
                };
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    v1_auth_token_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AuthTokenRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["AuthTokenRequest"];
                "multipart/form-data": components["schemas"]["AuthTokenRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description Missing or wrong username or password */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed attempts from this address (for this account, or in all); the Retry-After header says when to try again */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_exports_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                export_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Export"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_exports_download_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                export_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Blob;
                    "application/json": {
                        [key: string]: unknown;
                    };
                    "application/x-stata-dta": Blob;
                    "application/x-spss-sav": Blob;
                    "application/vnd.apache.parquet": Blob;
                    "application/zip": Blob;
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_extractions_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                extraction_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Extraction"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_extractions_partial_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                extraction_id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["PatchedReviewRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["PatchedReviewRequest"];
                "multipart/form-data": components["schemas"]["PatchedReviewRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Extraction"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_jobs_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_jobs_cancel_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_jobs_documents_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
                status?: "cancelled" | "done" | "failed" | "pending" | "running";
            };
            header?: never;
            path: {
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedJobItemList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_jobs_logs_list: {
        parameters: {
            query?: {
                level?: "debug" | "error" | "info" | "warning";
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedJobLogList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_jobs_resume_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["ResumeRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["ResumeRequest"];
                "multipart/form-data": components["schemas"]["ResumeRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_jobs_retry_failed_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedProjectList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProjectRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["ProjectRequest"];
                "multipart/form-data": components["schemas"]["ProjectRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Project"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Project"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_destroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No response body */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_partial_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["PatchedProjectRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["PatchedProjectRequest"];
                "multipart/form-data": components["schemas"]["PatchedProjectRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Project"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_agreement_list: {
        parameters: {
            query?: {
                schema_version?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgreementRow"][];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_documents_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
                /** @description Matches names and text. */
                search?: string;
                status?: "failed" | "processing" | "queued" | "ready";
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedDocumentList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_documents_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["UploadRequest"];
                "application/json": components["schemas"]["PasteRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IngestReport"];
                };
            };
            /** @description No file or empty text */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Upload larger than the limit, or no room left in the project's storage quota (project_storage_full, with used_bytes and limit_bytes) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unsupported file type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many requests for this user. */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_documents_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: number;
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentDetail"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_documents_destroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: number;
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No response body */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_estimate_retrieve: {
        parameters: {
            query?: {
                /**
                 * @description * `sample` - sample
                 *     * `full` - full
                 */
                kind?: "sample" | "full";
                /**
                 * @description The price the cost is given at: standard, or batch.
                 *
                 *     * `standard` - standard
                 *     * `batch` - batch
                 */
                mode?: "standard" | "batch";
                sample_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Estimate"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_exports_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedExportList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_exports_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExportCreateRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["ExportCreateRequest"];
                "multipart/form-data": components["schemas"]["ExportCreateRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Export"];
                };
            };
            /** @description Too many requests for this user. */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_jobs_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedJobList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_jobs_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobCreateRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["JobCreateRequest"];
                "multipart/form-data": components["schemas"]["JobCreateRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description No confirmed schema version, no ready documents to process, or the same run (kind and schema version) already active: `job_running`, with the active job's id in `details.job_id` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many requests for this user. */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_members_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedMemberList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_members_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MemberAddRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["MemberAddRequest"];
                "multipart/form-data": components["schemas"]["MemberAddRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Member"];
                };
            };
            /** @description No such user (user_not_found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Already a member, or the owner (already_member) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_members_destroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                member_id: number;
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No response body */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_prompt_preview_retrieve: {
        parameters: {
            query: {
                document: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PromptPreview"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_results_retrieve: {
        parameters: {
            query?: {
                /** @description Only the documents of this job */
                job?: number;
                page?: number;
                page_size?: number;
                schema_version?: number;
                search?: string;
                /** @description `name`, `<key>` or `-<key>` */
                sort?: string;
                /** @description `flagged` (a problem nobody reviewed), `reviewed`, `unverified`, or an extraction status */
                status?: string;
                /** @description Limit the status filter to one key */
                variable?: string;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResultsPage"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_review_queue_next_retrieve: {
        parameters: {
            query?: {
                after?: number;
                before?: number;
                /** @description Default: the project's setting. */
                blind?: boolean | null;
                /** @description Only the values of this job. */
                job?: number;
                /** @description Default: the current version. */
                schema_version?: number;
                /** @description flagged, or one extraction status. */
                status?: string;
                /** @description Only this variable's values. */
                variable?: string;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueItem"];
                };
            };
            /** @description Nothing left to check in this scope */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_rounds_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedRoundList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_rounds_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RoundCreateRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["RoundCreateRequest"];
                "multipart/form-data": components["schemas"]["RoundCreateRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Round"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_schema_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Schema"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_schema_compare_retrieve: {
        parameters: {
            query: {
                /** @description The version compared from (a number). */
                a: number;
                /** @description The version compared with (a number). */
                b: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionsCompared"];
                };
            };
            /** @description a or b missing or not a version number, or equal */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such project, or no such version in it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_schema_versions_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedVersionList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_schema_versions_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["ConfirmRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["ConfirmRequest"];
                "multipart/form-data": components["schemas"]["ConfirmRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_schema_versions_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                number: number;
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_schema_versions_restore_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                number: number;
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_uploads_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedUploadStatusList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_uploads_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
                upload_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadStatus"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_variables_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedVariableList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_variables_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VariableRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["VariableRequest"];
                "multipart/form-data": components["schemas"]["VariableRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_variables_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
                variable_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_variables_destroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
                variable_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No response body */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_variables_partial_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
                variable_id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["PatchedVariableRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["PatchedVariableRequest"];
                "multipart/form-data": components["schemas"]["PatchedVariableRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_variables_reorder_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReorderRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["ReorderRequest"];
                "multipart/form-data": components["schemas"]["ReorderRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"][];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_projects_variables_suggest_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["SuggestRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["SuggestRequest"];
                "multipart/form-data": components["schemas"]["SuggestRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuggestResponse"];
                };
            };
            /** @description Too many requests for this user. */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                round_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Round"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_adjudications_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                round_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdjudicationRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["AdjudicationRequest"];
                "multipart/form-data": components["schemas"]["AdjudicationRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdjudicationResult"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_close_create: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                round_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Round"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_disagreements_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
            };
            header?: never;
            path: {
                round_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedDisagreementList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_download_retrieve: {
        parameters: {
            query?: {
                format?: "csv" | "json";
                what?: "codes" | "reliability";
            };
            header?: never;
            path: {
                round_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": Blob;
                    "application/json": Blob;
                };
            };
            /** @description `what` or `format` is not one of the choices */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such round in the caller's projects */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_items_list: {
        parameters: {
            query?: {
                /** @description A page number within the paginated result set. */
                page?: number;
                /** @description Number of results to return per page. */
                page_size?: number;
                status?: "coded" | "open";
            };
            header?: never;
            path: {
                round_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaginatedRoundItemList"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_items_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                item_id: number;
                round_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoundItem"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_items_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                item_id: number;
                round_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RoundItemValueRequest"];
                "application/x-www-form-urlencoded": components["schemas"]["RoundItemValueRequest"];
                "multipart/form-data": components["schemas"]["RoundItemValueRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoundItem"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    v1_rounds_reliability_retrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                round_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Reliability"];
                };
            };
            /** @description An error, in the API's error format. */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
