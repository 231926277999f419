/** Every rule, in the order their findings are listed when they share a position. */
import type { Rule } from "../src/engine/rule.js";
import invalidJson from "./invalid-json.js";
import invalidPolicy from "./invalid-policy.js";
import policySize from "./policy-size.js";
import unknownAction from "./unknown-action.js";
import unknownConditionKey from "./unknown-condition-key.js";

export const allRules: readonly Rule[] = [invalidJson, invalidPolicy, policySize, unknownAction, unknownConditionKey];
