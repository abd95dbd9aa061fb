// Types for the schema validators generated from spec/*.schema.json by
// spec/compile.mjs (ajv standalone code, compiled with allErrors).

/** One schema violation, as ajv reports it. */
export interface SchemaError {
  /** JSON Pointer to the offending value ("" for the document itself). */
  instancePath: string;
  /** JSON Pointer into the schema to the failing keyword. */
  schemaPath: string;
  /** The failing keyword: "type", "required", "enum", "pattern", "minimum" … */
  keyword: string;
  /** Keyword details: { missingProperty }, { allowedValues }, { type }, { limit }, { pattern } … */
  params: Record<string, unknown>;
  message?: string;
}

/** A generated validator: returns true when the document matches; otherwise `errors` lists why. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

export declare const validateConfig: CompiledValidator;
export declare const validateState: CompiledValidator;
export declare const validateFeatures: CompiledValidator;
