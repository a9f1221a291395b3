import { describe, expect, it } from "vitest";
import { ApiFailure, describeFailure, describeLocation, toFailure } from "./errors";

describe("toFailure", () => {
  it("keeps the API's code, message and row problems", () => {
    const failure = toFailure(422, {
      error: {
        code: "invalid_rows",
        message: "the CSV has invalid rows: 1 problem(s); nothing was written",
        details: {
          errors: [
            {
              loc: ["file", 3, "value"],
              message: "value 'x' is not a finite number",
              type: "invalid_value",
            },
          ],
          error_count: 1,
        },
      },
    });
    expect(failure.code).toBe("invalid_rows");
    expect(failure.rows).toHaveLength(1);
    expect(describeLocation(failure.rows[0].loc)).toBe("line 3, value");
  });

  it("reads validation details given as a list", () => {
    const failure = toFailure(422, {
      error: {
        code: "invalid_input",
        message: "bad",
        details: [{ loc: ["body", "horizon"], message: "too big", type: "x" }],
      },
    });
    expect(describeLocation(failure.rows[0].loc)).toBe("horizon");
  });

  it("shows the 413's own message (the API's or the proxy's) with what to do", () => {
    const failure = toFailure(413, {
      error: {
        code: "payload_too_large",
        message: "the request body is larger than the limit of 16777216 bytes",
        details: null,
      },
    });
    expect(describeFailure(failure)).toBe(
      "The request body is larger than the limit of 16777216 bytes. " +
        "Split the upload into smaller files and send each.",
    );
  });

  it("describes a non-JSON answer by its status", () => {
    expect(toFailure(502, "<html>").message).toMatch(/HTTP 502/);
  });
});

describe("describeFailure", () => {
  it("tells the person what to do for auth and availability errors", () => {
    expect(describeFailure(new ApiFailure(401, "unauthorized", "missing key"))).toMatch(/Settings/);
    expect(describeFailure(new ApiFailure(403, "forbidden", "needs admin"))).toMatch(
      /Ask an admin/,
    );
    expect(describeFailure(new ApiFailure(503, "unavailable", "model server down"))).toMatch(
      /down/,
    );
  });

  it("shows the API's message as a sentence before the advice", () => {
    expect(
      describeFailure(new ApiFailure(403, "forbidden", "this key lacks the 'admin' scope")),
    ).toBe("This key lacks the 'admin' scope. Ask an admin for a key with the scope this needs.");
  });

  it("explains an unreachable API", () => {
    expect(describeFailure(new TypeError("Failed to fetch"))).toMatch(/cannot be reached/);
  });
});
