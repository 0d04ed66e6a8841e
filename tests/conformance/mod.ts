// Every conformance case file. Runtime runners import this one module, so a case written once
// runs unchanged on every runtime.
import "./credentials_test.ts";
import "./resolve_test.ts";
import "./bad_input_test.ts";
import "./token_endpoint_test.ts";
import "./token_provider_test.ts";
import "./client_test.ts";
import "./runtime_test.ts";
import "./property_test.ts";
import "./security_test.ts";
import "./client_resilience_test.ts";
import "./faults_test.ts";
import "./proxy_test.ts";
import "./soak_test.ts";
import "./edge_test.ts";
import "./hono_test.ts";
import "./cli_test.ts";
import "./cli_interop_test.ts";
import "./keyring_test.ts";
import "./environments_test.ts";
import "./token_cache_test.ts";
import "./kog_output_test.ts";
import "./files_test.ts";
import "./hot_path_test.ts";
import "./package_test.ts";
import "./interop_keyring_test.ts";
import "./interop_resolve_test.ts";
