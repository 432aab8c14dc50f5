/**
 * Credential redaction for anything that may reach a log line or an error
 * message: camera URLs carry passwords (`rtsp://admin:pw@cam/...`, or
 * `?user=admin&password=pw` on some brands), and ffmpeg echoes its input URL
 * in its own errors.
 */

/**
 * `scheme://userinfo@`: the userinfo runs to the last `@` before the path, so a
 * password containing an unescaped `@` is still covered.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]*(?:@[^\s/?#@"'<>]*)*)@/gi;

/** Query or form parameters whose values are secrets. */
const SECRET_PARAM = /([?&;](?:password|passwd|pwd|pass|token)=)[^&\s#"'<>]*/gi;

/**
 * Replaces `user:pass@` in every URL inside `s` with `***:***@`, and the value
 * of `password=` (also passwd, pwd, pass, token) parameters with `***`.
 * A user name without a password is left as is.
 */
export function redactUrl(s: string): string {
  return s
    .replace(USERINFO, (whole, scheme: string, userinfo: string) =>
      userinfo.includes(':') ? `${scheme}***:***@` : whole,
    )
    .replace(SECRET_PARAM, '$1***');
}
