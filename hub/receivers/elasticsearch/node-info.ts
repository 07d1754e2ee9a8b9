/**
 * What `GET /es/` answers: the root document of an Elasticsearch 8 node, enough for the official
 * clients, Filebeat and Logstash to accept the endpoint (they read `version.number` and the
 * `X-Elastic-Product` header), plus the few read-only probes Beats make when setting up.
 */
export const ES_VERSION = '8.17.0';

export function nodeInfo(hubId: string): Record<string, unknown> {
  return {
    name: `logwire-${hubId}`,
    cluster_name: 'logwire',
    cluster_uuid: hubId,
    version: {
      number: ES_VERSION,
      build_flavor: 'default',
      build_type: 'logwire',
      build_hash: 'logwire',
      build_date: '2024-12-11T12:08:05.663969764Z',
      build_snapshot: false,
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

/** `GET /es/_license` (Beats check it before using data streams and ILM). */
export function licenseInfo(hubId: string): Record<string, unknown> {
  return { license: { status: 'active', uid: hubId, type: 'basic', issue_date_in_millis: 0, max_nodes: 1000, issued_to: 'logwire', issuer: 'logwire', start_date_in_millis: -1 } };
}

/** The error envelope Elasticsearch clients parse. */
export function esError(status: number, type: string, reason: string): Record<string, unknown> {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}
