// The reference Bluesky PDS (@atproto/pds) with an in-memory PLC directory (@did-plc/server),
// both on 127.0.0.1 only, for Chorus's end-to-end tests.
//
// Prints one JSON line on stdout when both are ready:
//   {"pds_url":"http://localhost:PORT","pds_port":PORT,"plc_url":"http://127.0.0.1:PORT","admin_password":"..."}
// then runs until its standard input closes (the test that started it is gone) or it gets
// SIGTERM/SIGINT. Everything else it says goes to stderr. Its data lives in a temporary folder
// that is removed on exit.
//
// The PDS's hostname is `localhost` (its handles end in `.test`); its DID documents name
// `http://localhost:PORT` as the account's PDS. Both servers' own start() bind every interface,
// so each `listen` is given 127.0.0.1 explicitly.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { PDS, envToCfg, envToSecrets, readEnv } from '@atproto/pds';
import plc from '@did-plc/server';

const { PlcServer, Database } = plc;
const HOST = '127.0.0.1';

/** A free TCP port on 127.0.0.1 (the PDS must know its port before it starts). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Makes `app.listen(port)` bind 127.0.0.1 only. */
function loopbackOnly(app) {
  const listen = app.listen.bind(app);
  app.listen = (port, ...rest) => listen(port, HOST, ...rest);
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chorus-pds-'));
let plcServer;
let pds;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await pds?.destroy();
  } catch (error) {
    console.error('pds.mjs: stopping the PDS:', error);
  }
  try {
    await plcServer?.destroy();
  } catch (error) {
    console.error('pds.mjs: stopping the PLC:', error);
  }
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('close', () => stop(0));
process.stdin.resume();

try {
  const plcPort = await freePort();
  plcServer = PlcServer.create({ db: Database.mock(), port: plcPort });
  loopbackOnly(plcServer.app);
  await plcServer.start();
  const plcUrl = `http://${HOST}:${plcPort}`;

  const pdsPort = await freePort();
  const adminPassword = randomBytes(16).toString('hex');
  Object.assign(process.env, {
    PDS_HOSTNAME: 'localhost',
    PDS_PORT: String(pdsPort),
    PDS_DEV_MODE: 'true',
    PDS_INVITE_REQUIRED: 'false',
    PDS_DATA_DIRECTORY: dataDir,
    PDS_BLOBSTORE_DISK_LOCATION: path.join(dataDir, 'blobs'),
    PDS_JWT_SECRET: randomBytes(32).toString('hex'),
    PDS_ADMIN_PASSWORD: adminPassword,
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: randomBytes(32).toString('hex'),
    PDS_DID_PLC_URL: plcUrl,
    PDS_CRAWLERS: '',
    PDS_RATE_LIMITS_ENABLED: 'false',
    LOG_ENABLED: 'false',
  });
  const env = readEnv();
  pds = await PDS.create(envToCfg(env), envToSecrets(env));
  loopbackOnly(pds.app);
  await pds.start();

  process.stdout.write(
    `${JSON.stringify({
      pds_url: `http://localhost:${pdsPort}`,
      pds_port: pdsPort,
      plc_url: plcUrl,
      admin_password: adminPassword,
    })}\n`,
  );
} catch (error) {
  console.error('pds.mjs: could not start:', error);
  await stop(1);
}
