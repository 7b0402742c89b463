/**
 * Panel shapes the Vigil dashboards share, built with the foundation SDK.
 * Every panel and query names the one datasource of its bundle, by uid.
 */
import * as common from '@grafana/grafana-foundation-sdk/common'
import {
  MappingType,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard'
import * as stat from '@grafana/grafana-foundation-sdk/stat'
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline'
import * as table from '@grafana/grafana-foundation-sdk/table'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'
import { InfluxqlQueryBuilder, type Format } from './target.ts'

/** What differs between the fleet bundle and a reseller's: datasource and uids. */
export interface DashboardContext {
  datasource: common.DataSourceRef
  /** Appended to dashboard uids, so several bundles can live in one Grafana. */
  uidSuffix: string
}

export interface QuerySpec {
  query: string
  format?: Format
  alias?: string
}

interface PanelSpec {
  title: string
  description: string
  queries: QuerySpec[]
  width?: number
  height?: number
  unit?: string
}

function targets(ctx: DashboardContext, queries: QuerySpec[]) {
  return queries.map((q, index) => {
    const builder = new InfluxqlQueryBuilder(
      ctx.datasource,
      String.fromCharCode(65 + index),
      q.query,
      q.format ?? 'time_series',
    )
    return q.alias ? builder.alias(q.alias) : builder
  })
}

/** One number, the last value of the first series. */
export function statPanel(ctx: DashboardContext, spec: PanelSpec) {
  const panel = new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(ctx.datasource)
    .targets(targets(ctx, spec.queries))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.None)
    .span(spec.width ?? 6)
    .height(spec.height ?? 4)
  return spec.unit ? panel.unit(spec.unit) : panel
}

/** Rows of a table query; `sortBy` names a column to sort by, largest first. */
export function tablePanel(ctx: DashboardContext, spec: PanelSpec & { sortBy?: string }) {
  const panel = new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(ctx.datasource)
    .targets(
      targets(
        ctx,
        spec.queries.map((q) => ({ ...q, format: 'table' as const })),
      ),
    )
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
  if (spec.unit) panel.unit(spec.unit)
  if (spec.sortBy) {
    panel.sortBy([new common.TableSortByFieldStateBuilder().displayName(spec.sortBy).desc(true)])
  }
  return panel
}

export function timeseriesPanel(ctx: DashboardContext, spec: PanelSpec) {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(ctx.datasource)
    .targets(targets(ctx, spec.queries))
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
  return spec.unit ? panel.unit(spec.unit) : panel
}

/** Up (1) or down (0) per server over time: the outage timeline. */
export function timelinePanel(ctx: DashboardContext, spec: PanelSpec) {
  return new statetimeline.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(ctx.datasource)
    .targets(targets(ctx, spec.queries))
    .mappings([
      {
        type: MappingType.RangeToText,
        options: { from: 0, to: 0.999, result: { text: 'down', color: 'red' } },
      },
      { type: MappingType.ValueToText, options: { '1': { text: 'up', color: 'green' } } },
    ])
    .span(spec.width ?? 24)
    .height(spec.height ?? 6)
}

/**
 * A tag-value variable. Values are SLCs and reseller ids, whose alphabet
 * (letters, digits, ".", "_", "-") is safe inside the `/^$var$/` regexes the
 * queries use; "All" matches everything the datasource's user may read.
 */
export function tagVariable(
  ctx: DashboardContext,
  spec: { name: string; label: string; key: string; where?: string; includeAll: boolean },
) {
  const where = spec.where ? ` WHERE ${spec.where}` : ''
  const variable = new QueryVariableBuilder(spec.name)
    .label(spec.label)
    .datasource(ctx.datasource)
    .query(`SHOW TAG VALUES FROM "uptime" WITH KEY = "${spec.key}"${where}`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .allowCustomValue(false)
    .includeAll(spec.includeAll)
  return spec.includeAll ? variable.allValue('.*') : variable
}
