/**
 * An InfluxQL query of Grafana's InfluxDB datasource. The foundation SDK has
 * builders for panels and dashboards but none for this datasource's queries,
 * so this is the SDK's extension point: a cog.Builder of a Dataquery.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import type * as common from '@grafana/grafana-foundation-sdk/common'

export interface InfluxqlQuery extends cog.Dataquery {
  refId: string
  datasource: common.DataSourceRef
  /** Raw InfluxQL; Grafana fills in $timeFilter, $__interval and variables. */
  query: string
  rawQuery: true
  resultFormat: 'time_series' | 'table'
  alias?: string
}

export type Format = InfluxqlQuery['resultFormat']

export class InfluxqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  readonly #query: InfluxqlQuery

  constructor(datasource: common.DataSourceRef, refId: string, query: string, format: Format) {
    this.#query = {
      _implementsDataqueryVariant: () => undefined,
      refId,
      datasource,
      query: query.replace(/\s+/g, ' ').trim(),
      rawQuery: true,
      resultFormat: format,
    }
  }

  /** Legend text; Grafana replaces $tag_<key> with the series' tag. */
  alias(alias: string): this {
    this.#query.alias = alias
    return this
  }

  build(): cog.Dataquery {
    return this.#query
  }
}
