// Drives a ksqlDB-compatible server with the ksqldb-client npm package:
// DDL, inserts, a push query and a pull query. Usage: node client.js HOST PORT.
// Exits non-zero, saying why, when anything differs from what ksqlDB does.
const KsqldbClient = require("ksqldb-client");
const assert = require("assert");

const [host, port] = process.argv.slice(2);

async function main() {
  const client = new KsqldbClient({ host, port: Number(port), timeout: 20000 });
  await client.connect();

  const earliest = { "auto.offset.reset": "earliest" };
  const props = { streamsProperties: earliest }; // /ksql's body field
  let r = await client.executeStatement(
    "CREATE STREAM readings (sensor VARCHAR KEY, reading INT) WITH (kafka_topic='readings', value_format='JSON', partitions=1);", props);
  assert.ok(!r.error, "CREATE STREAM: " + JSON.stringify(r.error));
  r = await client.executeStatement(
    "CREATE TABLE totals AS SELECT sensor, COUNT(*) AS n, SUM(reading) AS total FROM readings GROUP BY sensor EMIT CHANGES;", props);
  assert.ok(!r.error, "CREATE TABLE AS: " + JSON.stringify(r.error));

  const streams = await client.listStreams();
  console.log("streams:", JSON.stringify(streams.data || streams));

  for (const [sensor, reading] of [["a", 1], ["b", 2], ["a", 3]]) {
    r = await client.insertInto("readings", { SENSOR: sensor, READING: reading });
    assert.ok(!r.error, "insertInto: " + JSON.stringify(r.error));
  }

  // Push query: the three rows, from the start, then the LIMIT ends it.
  const pushed = [];
  r = await client.streamQuery("SELECT sensor, reading FROM readings EMIT CHANGES LIMIT 3;", (data) => {
    for (const row of data.rows || []) pushed.push(row);
  }, { properties: earliest }); // /query-stream's body field
  assert.ok(!r.error, "streamQuery: " + JSON.stringify(r.error));
  console.log("push rows:", JSON.stringify(pushed));
  assert.deepStrictEqual(pushed.map((x) => [x.SENSOR, x.READING]), [["a", 1], ["b", 2], ["a", 3]]);

  // Pull query on the table, retried until the aggregate has caught up.
  let rows = [];
  for (let i = 0; i < 100; i++) {
    r = await client.query("SELECT * FROM totals WHERE sensor = 'a';");
    assert.ok(!r.error, "pull query: " + JSON.stringify(r.error));
    rows = r.data.rows;
    if (rows.length === 1 && rows[0].N === 2) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  console.log("pull rows:", JSON.stringify(rows));
  assert.deepStrictEqual(rows, [{ SENSOR: "a", N: 2, TOTAL: 4 }]);

  // A bad statement gets ksqlDB's error shape.
  r = await client.executeStatement("CREATE STREAM broken AS SELECT nope FROM readings;");
  assert.ok(r.error, "a bad statement was accepted");
  console.log("error:", JSON.stringify(r.error));

  await client.disconnect();
  console.log("OK");
}

main().catch((err) => {
  console.error("FAILED:", err && err.stack ? err.stack : err);
  process.exit(1);
});
