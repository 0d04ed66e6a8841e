// The errors of KognicClient's `request` and `json` (./client.ts): an answer outside 2xx, a body
// that is not JSON, JSON without its `data`. Loaded with the first such answer; each takes the
// request's URL without its query. Private to src/http/.
import { HttpError, KognicAuthError } from "../errors.ts";
import { isObject, readText, redact } from "../_util.ts";

/**
 * Builds the error for a non-2xx response to `url` (without its query), reading at most 4 KiB of
 * its body.
 */
export async function httpError(
  response: Response,
  method: string,
  url: string,
  tokens: string[],
): Promise<HttpError> {
  const { text, truncated } = await readText(response, 4096);
  let detail = text;
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed?.message === "string") detail = parsed.message;
  } catch {
    // Not JSON: keep the text.
  }
  detail = redact(detail, tokens);
  if (detail.length > 500) detail = `${detail.slice(0, 500)}…`;
  else if (truncated) detail += "…";
  return new HttpError({ method, url, response, detail });
}

/** The error of a 2xx answer whose body is not JSON. */
export function notJson(method: string, url: string, response: Response): KognicAuthError {
  const type = response.headers.get("content-type") ?? "no content type";
  return answered(
    "RESPONSE_INVALID_JSON",
    method,
    url,
    `${response.status} with a body that is not JSON (${type})`,
  );
}

/** The error of JSON without a `data` key where the client unwraps it: what it found instead. */
export function noData(method: string, url: string, parsed: unknown): KognicAuthError {
  const keys = isObject(parsed) ? Object.keys(parsed) : [];
  const found = !isObject(parsed)
    ? Array.isArray(parsed) ? "an array" : parsed === null ? "null" : `a ${typeof parsed}`
    : keys.length === 0
    ? "an empty object"
    : `keys ${keys.slice(0, 10).map((key) => JSON.stringify(key)).join(", ")}` +
      (keys.length > 10 ? ` and ${keys.length - 10} more` : "");
  return answered("RESPONSE_NO_DATA", method, url, `JSON without a "data" key: found ${found}`);
}

/** What the call was (`url` without its query) and what it answered. */
function answered(
  code: "RESPONSE_INVALID_JSON" | "RESPONSE_NO_DATA",
  method: string,
  url: string,
  detail: string,
): KognicAuthError {
  return new KognicAuthError(
    code,
    `${method.toUpperCase()} ${JSON.stringify(url)} answered ${detail}`,
    { source: url },
  );
}
