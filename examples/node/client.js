#!/usr/bin/env node
// A Node.js client of giia: loads the .proto files of proto/ at run time
// (@grpc/proto-loader; no generated code, no build step) and calls auth and
// the catalog with @grpc/grpc-js.
//
//   node examples/node/client.js --auth HOST:PORT --catalog HOST:PORT \
//        --email E --password P [--ca FILE] [--prefix P]
//
// Or by environment: GIIA_AUTH_ADDR, GIIA_CATALOG_ADDR, GIIA_EMAIL,
// GIIA_PASSWORD, GIIA_CA_FILE, GIIA_PREFIX. The user needs catalog:read and
// catalog:write. Logs in, validates the token, checks permissions, creates a
// product, gets it, and lists products and suppliers. Exit code 0 on success.
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function parseArgs(argv) {
  const o = {
    auth: process.env.GIIA_AUTH_ADDR,
    catalog: process.env.GIIA_CATALOG_ADDR,
    email: process.env.GIIA_EMAIL,
    password: process.env.GIIA_PASSWORD,
    ca: process.env.GIIA_CA_FILE,
    prefix: process.env.GIIA_PREFIX || 'NODE',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i].replace(/^--/, '');
    if (!(flag in o) || i + 1 >= argv.length) {
      throw new Error(`unknown flag or missing value: ${argv[i]}`);
    }
    o[flag] = argv[i + 1];
  }
  for (const k of ['auth', 'catalog', 'email', 'password']) {
    if (!o[k]) throw new Error(`--${k} is required`);
  }
  return o;
}

// The proto files, loaded as they are in the repository. The well-known
// types (google/protobuf/timestamp.proto) come with protobufjs.
const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');
const definition = protoLoader.loadSync(
  ['giia/auth/v1/auth.proto', 'giia/catalog/v1/catalog.proto'],
  {
    includeDirs: [PROTO_DIR],
    keepCase: true,   // field names as in the .proto: access_token, page_size
    longs: String,    // int64 (version, total) as strings, as protojson does
    enums: String,    // USER_STATUS_ACTIVE
    defaults: true,
    oneofs: true,
  });
const giia = grpc.loadPackageDefinition(definition).giia;

// One unary call as a promise, with a deadline and the bearer token.
// UNAVAILABLE is retried with backoff (giia answers it only when nothing
// changed); every other error goes to the caller.
async function call(client, method, request, token) {
  let wait = 100;
  for (let attempt = 1; ; attempt++) {
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    try {
      return await new Promise((resolve, reject) => {
        client[method](request, metadata, { deadline: Date.now() + 10000 },
          (err, response) => (err ? reject(err) : resolve(response)));
      });
    } catch (err) {
      if (err.code !== grpc.status.UNAVAILABLE || attempt === 4) throw err;
      console.log(`  ${method}: UNAVAILABLE (${err.details}), retrying in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
  }
}

function describe(err) {
  const name = Object.keys(grpc.status).find((k) => grpc.status[k] === err.code);
  return `${name || err.code} (${err.details})`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const creds = o.ca
    ? grpc.credentials.createSsl(fs.readFileSync(o.ca))
    : grpc.credentials.createInsecure();
  const auth = new giia.auth.v1.AuthService(o.auth, creds);
  const catalog = new giia.catalog.v1.CatalogService(o.catalog, creds);

  const login = await call(auth, 'Login', { email: o.email, password: o.password });
  const token = login.tokens.access_token;
  console.log(`[login] Login ${o.email}: OK, roles ${login.user.roles.join(',')}`);

  const valid = await call(auth, 'ValidateToken', { token });
  console.log(`[validate] ValidateToken: valid ${valid.valid}, user ${valid.user.email}, ` +
              `organization ${valid.organization.id}`);
  const bad = await call(auth, 'ValidateToken', { token: 'not-a-token' });
  console.log(`[validate] ValidateToken("not-a-token"): valid ${bad.valid}: ${bad.error}`);

  for (const permission of ['catalog:read', 'catalog:write', 'users:delete']) {
    const d = await call(auth, 'CheckPermission', { permission }, token);
    console.log(`[check] CheckPermission(${permission}): ` +
                `${d.allowed ? 'allowed' : 'denied'} (${d.reason})`);
  }
  try {
    await call(auth, 'CheckPermission', { permission: 'catalog:read' }, 'not-a-token');
    throw new Error('a bad token was accepted');
  } catch (err) {
    if (err.code !== grpc.status.UNAUTHENTICATED) throw err;
    console.log(`[check] CheckPermission with a bad token: ${describe(err)}`);
  }

  const sku = `${o.prefix}-${Date.now()}`;
  const created = await call(catalog, 'CreateProduct',
    { sku, name: 'Node widget', category: 'parts', standard_cost: 4.5 }, token);
  console.log(`[catalog] CreateProduct(${sku}): OK, version ${created.product.version}`);
  const got = await call(catalog, 'GetProduct', { id: created.product.id }, token);
  console.log(`[catalog] GetProduct: ${got.product.sku} "${got.product.name}" ` +
              `cost ${got.product.standard_cost}, version ${got.product.version}`);
  const products = await call(catalog, 'ListProducts', { page: 1, page_size: 5 }, token);
  console.log(`[catalog] ListProducts(page 1, page_size 5): ${products.items.length} ` +
              `of ${products.total}`);
  const suppliers = await call(catalog, 'ListSuppliers', { page: 1, page_size: 5 }, token);
  console.log(`[catalog] ListSuppliers(page 1, page_size 5): ${suppliers.items.length} ` +
              `of ${suppliers.total}`);

  auth.close();
  catalog.close();
  console.log('node client: done');
}

main().catch((err) => {
  console.error(`node client: ${err.code !== undefined ? describe(err) : err.message}`);
  process.exit(err.code === grpc.status.UNAVAILABLE ? 2 : 3);
});
