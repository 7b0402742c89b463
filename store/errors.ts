/** Failures of registry operations, each with a stable code the API maps to HTTP. */
export type StoreErrorCode =
  'not-found' | 'slc-taken' | 'name-taken' | 'bad-enrollment-code' | 'invalid-input' | 'last-key'

export class StoreError extends Error {
  override readonly name = 'StoreError'

  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message)
  }
}
