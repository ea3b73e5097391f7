import { describe, expect, it } from "vitest";
import { imagechain } from "../helpers/cli.ts";

describe("imagechain operator flags", () => {
  it.each([
    [["--namespace", "a", "--all-namespaces"], "--namespace and --all-namespaces exclude each other"],
    [["--log-level", "loud"], "--log-level must be one of fatal, error, warn, info, debug, trace, silent"],
    [["--node-lost-after", "5h"], "--node-lost-after must be a duration like 15s or 500ms, not '5h'"],
    [["--resync", "often"], "--resync must be a duration"],
    [["--worker-command", " "], "--worker-command is empty"],
    [
      ["--lease-duration", "1s", "--renew-deadline", "2s"],
      "need --retry-period < --renew-deadline < --lease-duration",
    ],
  ])("refuses %j with exit code 2 and says why", async (args, message) => {
    const res = await imagechain(["operator", ...args]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
  });
});
