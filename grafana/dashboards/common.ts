/** Settings every Vigil dashboard shares. */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import type { DashboardContext } from '../panels.ts'

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
