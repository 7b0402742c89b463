/** Settings and filters every Vigil dashboard shares. */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { tagVariable, type DashboardContext } from '../panels.ts'

export function dashboardDefaults(builder: DashboardBuilder, ctx: DashboardContext, uid: string) {
  return builder
    .uid(`${uid}${ctx.uidSuffix}`)
    .tags(['vigil'])
    .time({ from: 'now-24h', to: 'now' })
    .timezone('browser')
    .refresh('1m')
    .readonly()
}

/** The variables' tag filters, as Grafana expands them (`All` is `.*`). */
export const resellerFilter = '"reseller_id" =~ /^$reseller$/'
export const slcFilter = '"slc" =~ /^$slc$/'

/** In a reseller's bundle this offers his id only: his user reads nothing else. */
export function resellerVariable(ctx: DashboardContext) {
  return tagVariable(ctx, {
    name: 'reseller',
    label: 'Reseller',
    key: 'reseller_id',
    includeAll: true,
  })
}

export function slcVariable(ctx: DashboardContext, includeAll: boolean) {
  return tagVariable(ctx, {
    name: 'slc',
    label: 'Installation (SLC)',
    key: 'slc',
    where: resellerFilter,
    includeAll,
  })
}
