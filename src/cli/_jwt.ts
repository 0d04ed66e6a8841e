// `get-access-token --decode`: a JWT's header and payload decoded, as Python's kognic-auth
// prints them.
import { KognicAuthError } from "../errors.ts";
import { dumpPython, parsePython, PyObject, type PyValue } from "./_json.ts";

function invalid(detail: string): KognicAuthError {
  // The token itself is never quoted: it is a secret.
  return new KognicAuthError("JWT_INVALID", `The access token is not a JWT: ${detail}`);
}

function decodePart(part: string, name: string): PyValue {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  let bytes: Uint8Array;
  try {
    const binary = atob(base64 + "=".repeat((4 - base64.length % 4) % 4));
    bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    throw invalid(`its ${name} is not base64url`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalid(`its ${name} is not UTF-8`);
  }
  try {
    return parsePython(text);
  } catch {
    throw invalid(`its ${name} is not JSON`);
  }
}

/**
 * Decodes a JWT into Python's `--decode` output: `header` and `payload` as JSON, `signature` as
 * it came, indented by two. Throws `JWT_INVALID` (never quoting the token) for anything else.
 */
export function decodeJwt(token: string): string {
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid("expected 3 dot-separated parts");
  const decoded = new PyObject();
  decoded.set("header", decodePart(parts[0], "header"));
  decoded.set("payload", decodePart(parts[1], "payload"));
  decoded.set("signature", parts[2]);
  return dumpPython(decoded, 2);
}
