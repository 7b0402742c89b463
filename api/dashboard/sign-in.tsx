/** The sign-in form, and the page that says an installation is not there. */
import type { Reseller } from '../../store/registry.ts'
import { Layout } from './layout.tsx'

export interface SignInProps {
  zone: string
  now: number
  /** Where to go after signing in: a path on this site. */
  next: string
  message?: string
}

export function SignInPage(props: SignInProps) {
  return (
    <Layout title="Sign in · Vigil" zone={props.zone} now={props.now}>
      <section class="card narrow">
        <h1>Sign in</h1>
        <p class="muted">
          Use the reseller token your Vigil operator gave you. It stays in this browser until you
          sign out.
        </p>
        {props.message ? (
          <p class="alert" role="alert">
            {props.message}
          </p>
        ) : null}
        <form method="post" action="/sign-in" class="stack">
          <label for="token">Reseller token</label>
          <input
            id="token"
            name="token"
            type="password"
            required
            autocomplete="current-password"
            spellcheck={false}
            maxlength={200}
          />
          <input type="hidden" name="next" value={props.next} />
          {/* The page script fills in the browser's time zone; UTC without it. */}
          <input type="hidden" name="tz" value="" data-zone-field />
          <button type="submit">Sign in</button>
        </form>
      </section>
    </Layout>
  )
}

export function NotFoundPage(props: {
  zone: string
  now: number
  what: string
  reseller?: Reseller
}) {
  return (
    <Layout title="Not found · Vigil" zone={props.zone} now={props.now} reseller={props.reseller}>
      <section class="card narrow">
        <h1>Not found</h1>
        <p>{props.what}</p>
        <p>
          <a href="/">Back to your installations</a>
        </p>
      </section>
    </Layout>
  )
}
