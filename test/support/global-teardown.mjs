export default async function globalTeardown() {
  for (const stop of (globalThis.__hakkenTestHandles ?? []).reverse()) await stop();
}
