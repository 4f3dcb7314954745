// Opens a DuckDB file read-only with Node's @duckdb/node-api (what Evidence and many BI
// connectors use) and prints the rows of one query as JSON: `node read_served.mjs FILE SQL`.
import { DuckDBInstance } from "@duckdb/node-api";

const [file, sql] = process.argv.slice(2);
const instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
const rows = reader.getRowObjectsJson();
process.stdout.write(JSON.stringify(rows) + "\n");
connection.closeSync();
instance.closeSync();
