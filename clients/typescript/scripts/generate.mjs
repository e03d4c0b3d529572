#!/usr/bin/env node
// The API's types, generated from its OpenAPI document with openapi-typescript.
//
//   node scripts/generate.mjs openapi.json src/schema.ts          write the types
//   node scripts/generate.mjs --check http://127.0.0.1:8000/api/schema/?format=json
//                                                                 compare with src/schema.ts
//
// `make client` writes openapi.json (from the Django code) and then the types; the
// client test checks that the committed types are what the served document generates.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

export const SCHEMA_FILE = fileURLToPath(new URL("../src/schema.ts", import.meta.url));

const BANNER = `/**
 * The workbench's REST API, generated from its OpenAPI document (/api/schema/) by
 * clients/typescript/scripts/generate.mjs. Do not edit: run \`make client\`.
 */

`;

const BLOB = ts.factory.createTypeReferenceNode("Blob");
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());

/**
 * The TypeScript text of the API's types.
 * @param {object | URL | string} document the OpenAPI document, or where to read it
 * @returns {Promise<string>}
 */
export async function generateTypes(document) {
  const ast = await openapiTS(document, {
    // A field with a default is optional in a request (the server fills it in); the
    // generator's default would make a client send every one of them.
    defaultNonNullable: false,
    // Uploads are files: Blob (a File is one), not the string JSON would carry.
    transform(schema) {
      if (schema.format === "binary") {
        return schema.nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
      }
      return undefined;
    },
  });
  return BANNER + astToString(ast);
}

async function main(args) {
  if (args[0] === "--check") {
    const source = args[1];
    const wanted = await generateTypes(source.startsWith("http") ? new URL(source) : source);
    const committed = await readFile(SCHEMA_FILE, "utf8");
    if (wanted !== committed) {
      console.error(`src/schema.ts differs from what ${source} generates: run \`make client\`.`);
      return 1;
    }
    console.log("src/schema.ts matches the API's OpenAPI document.");
    return 0;
  }
  const [input, output] = args;
  if (!input || !output) {
    console.error("usage: generate.mjs <openapi.json> <schema.ts> | --check <url-or-file>");
    return 2;
  }
  const document = JSON.parse(await readFile(input, "utf8"));
  await writeFile(output, await generateTypes(document));
  console.log(`wrote ${output}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
