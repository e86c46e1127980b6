// Validates Backstage catalog entities with @backstage/catalog-model's own validators, the ones
// the catalog applies when it ingests a file: the envelope, the generic Entity schema, the
// policies of a default catalog (default namespace, no foreign root fields, field formats,
// schema-valid metadata) and the schema of the entity's kind, which must be Component.
//
// Usage: node catalogcheck.cjs CATALOG_MODEL_DIR < entities.json   (a JSON array of entities)
// Prints one line per finding ("entity N: ...") and exits 1 when there is any, else exits 0.
'use strict';

const fs = require('node:fs');

async function main() {
  const model = require(process.argv[2]);
  const entities = JSON.parse(fs.readFileSync(0, 'utf8'));
  const envelope = model.entityEnvelopeSchemaValidator();
  const entity = model.entitySchemaValidator();
  const policies = model.EntityPolicies.allOf([
    new model.DefaultNamespaceEntityPolicy(),
    new model.NoForeignRootFieldsEntityPolicy(),
    new model.FieldFormatEntityPolicy(),
    new model.SchemaValidEntityPolicy(),
  ]);
  const findings = [];
  for (const [index, data] of entities.entries()) {
    const where = `entity ${index + 1}`;
    try {
      envelope(data);
      entity(data);
      await policies.enforce(structuredClone(data));
      if (!(await model.componentEntityV1alpha1Validator.check(data))) {
        findings.push(`${where}: not a Component (apiVersion backstage.io/v1alpha1, kind Component)`);
      }
    } catch (error) {
      findings.push(`${where}: ${error.message}`);
    }
  }
  for (const finding of findings) {
    console.log(finding);
  }
  process.exitCode = findings.length ? 1 : 0;
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exitCode = 2;
});
