/**
 * A service URL may carry credentials in its user-info part (`http://user:secret@host`). They are
 * secrets like any other: refused from files, and never printed (config check, status, logs, errors).
 */

const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i

/** `scheme://user:pass@host/...` -> `scheme://***@host/...`; any other string as it is. */
export function redactUrl(url: string): string {
  return url.replace(USER_INFO, '$1***@')
}

export function hasUrlCredentials(url: string): boolean {
  return USER_INFO.test(url)
}

/**
 * The URL without its user-info, and the credentials it carried: fetch() refuses a URL with
 * credentials, so they travel as an Authorization header instead.
 */
export function splitUrlCredentials(url: string): {
  url: string
  username: string
  password: string
} {
  if (!hasUrlCredentials(url)) return { url, username: '', password: '' }
  const parsed = new URL(url)
  const { username, password } = parsed
  parsed.username = ''
  parsed.password = ''
  return {
    url: parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : ''),
    username: decodeURIComponent(username),
    password: decodeURIComponent(password),
  }
}
