/** The part of JSON Schema the tests that walk /openapi.json read. */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  not?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  'x-expects'?: string;
  'x-streamed'?: boolean;
  oneOf?: JsonSchema[];
}
