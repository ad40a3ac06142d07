// deploy/kubernetes against the service catalog and the config schemas: a Deployment and a
// Service per catalog service on its catalog port, probes, resources and a locked-down
// securityContext, DNS discovery naming every service, every variable in some schema and
// every value accepted by it, and a kustomization listing every manifest. No cluster here:
// these are the checks that need none.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { baseConfigSchema, loadConfig } from '@lattice/platform';
import { parseAllDocuments } from 'yaml';
import {
  catalog,
  credentialTable,
  knownKey,
  kubernetesDir,
  readManifests,
  serviceSchema,
  which,
  writeSecretFiles,
  type Yaml,
} from './support/deploy-files.ts';

const manifests = readManifests();
const tmp = mkdtempSync(join(tmpdir(), 'lattice-kubernetes-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const ofKind = (kind: string): Yaml[] =>
  manifests.filter(({ doc }) => doc?.kind === kind).map(({ doc }) => doc);
const named = (kind: string, name: string): Yaml =>
  ofKind(kind).find((doc) => doc.metadata.name === name);
const configMap = named('ConfigMap', 'lattice-config');
interface EnvVar {
  name: string;
  value: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}
const container = (name: string) => named('Deployment', name).spec.template.spec.containers[0];

describe('kubernetes manifests', () => {
  test('a Deployment per catalog service runs the one image on its catalog port', () => {
    const images = new Set<string>();
    for (const { name, port } of catalog) {
      const deployment = named('Deployment', name);
      assert.ok(deployment, `no Deployment ${name}`);
      const main = container(name);
      images.add(main.image);
      assert.deepEqual(main.command, ['node', `services/${name}/src/main.ts`], name);
      assert.deepEqual(main.ports, [{ name: 'http', containerPort: port, protocol: 'TCP' }], name);
      const env = new Map(main.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      assert.equal(env.get('PORT'), String(port), `${name} PORT`);
      assert.equal(
        deployment.spec.template.metadata.annotations['prometheus.io/port'],
        String(port),
        name,
      );
    }
    assert.equal(images.size, 1, `one image for every service, got ${[...images]}`);
  });

  test('probes, resources and a non-root, read-only securityContext on every Deployment', () => {
    for (const { name } of catalog) {
      const pod = named('Deployment', name).spec.template.spec;
      const main = container(name);
      assert.equal(main.readinessProbe.httpGet.path, '/health/ready', name);
      assert.equal(main.livenessProbe.httpGet.path, '/health/live', name);
      assert.equal(main.startupProbe.httpGet.path, '/health/live', name);
      for (const probe of [main.readinessProbe, main.livenessProbe, main.startupProbe])
        assert.equal(probe.httpGet.port, 'http', name);
      for (const bound of ['requests', 'limits'])
        assert.ok(main.resources[bound].cpu && main.resources[bound].memory, `${name} ${bound}`);
      assert.equal(pod.securityContext.runAsNonRoot, true, name);
      assert.equal(main.securityContext.readOnlyRootFilesystem, true, name);
      assert.equal(main.securityContext.allowPrivilegeEscalation, false, name);
      assert.deepEqual(main.securityContext.capabilities.drop, ['ALL'], name);
    }
  });

  test('a Service per catalog service on its port; all but the gateway headless for DNS discovery', () => {
    for (const { name, port } of catalog) {
      const service = named('Service', name);
      assert.ok(service, `no Service ${name}`);
      assert.deepEqual(service.spec.selector, { 'app.kubernetes.io/name': name });
      assert.equal(service.spec.ports[0].port, port, name);
      assert.equal(service.spec.ports[0].targetPort, 'http', name);
      if (name === 'gateway') assert.equal(service.spec.clusterIP, undefined);
      else assert.equal(service.spec.clusterIP, 'None', `${name} is not headless`);
    }
    const ingress = named('Ingress', 'gateway');
    assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.name, 'gateway');
  });

  test('DNS discovery names every catalog service at its catalog port', () => {
    assert.equal(configMap.data.DISCOVERY_MODE, 'dns');
    const listed = (configMap.data.DISCOVERY_DNS_SERVICES as string).split(',').sort();
    assert.deepEqual(listed, catalog.map(({ name, port }) => `${name}=${name}:${port}`).sort());
    const drainMs = Number(configMap.data.SHUTDOWN_DRAIN_DELAY_MS);
    assert.ok(
      drainMs > Number(configMap.data.DISCOVERY_DNS_INTERVAL_MS),
      'drain outlasts a re-resolve',
    );
    for (const { name } of catalog) {
      const grace = named('Deployment', name).spec.template.spec.terminationGracePeriodSeconds;
      const shutdownMs = drainMs + Number(configMap.data.SHUTDOWN_TIMEOUT_MS);
      assert.ok(grace * 1000 > shutdownMs, `${name}: ${grace} s < drain + shutdown`);
    }
  });

  test('disruption budgets and autoscalers point at replicated Deployments', () => {
    for (const budget of ofKind('PodDisruptionBudget')) {
      const deployment = named('Deployment', budget.metadata.name);
      assert.ok(deployment.spec.replicas > budget.spec.minAvailable, budget.metadata.name);
      assert.deepEqual(budget.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    }
    for (const autoscaler of ofKind('HorizontalPodAutoscaler')) {
      const deployment = named('Deployment', autoscaler.spec.scaleTargetRef.name);
      assert.ok(deployment, autoscaler.metadata.name);
      assert.ok(autoscaler.spec.minReplicas >= deployment.spec.replicas, autoscaler.metadata.name);
      assert.ok(named('PodDisruptionBudget', autoscaler.metadata.name), autoscaler.metadata.name);
    }
    for (const name of ['gateway', 'payments', 'worker'])
      assert.ok(named('Deployment', name).spec.replicas >= 2, `${name} replicas`);
  });

  test('the ConfigMap holds base keys only; each container env loads under its service schema', async () => {
    for (const key of Object.keys(configMap.data))
      assert.ok(knownKey(baseConfigSchema, key), `ConfigMap: ${key} is not a base config key`);
    const secret = named('Secret', 'lattice-secrets');
    const secretsDir = join(tmp, 'secrets');
    writeSecretFiles(secret, secretsDir);
    for (const entry of catalog) {
      const schema = await serviceSchema(entry);
      const pod = named('Deployment', entry.name).spec.template.spec;
      const mount = container(entry.name).volumeMounts.find(
        (m: { name: string }) => m.name === 'secrets',
      );
      const items: string[] = pod.volumes
        .find((v: { name: string }) => v.name === 'secrets')
        .secret.items.map((i: { key: string; path: string }) => {
          assert.ok(i.key in secret.stringData, `${entry.name} mounts ${i.key}, not in the Secret`);
          return i.path;
        });
      const env: Record<string, string> = { ...configMap.data };
      for (const { name, value, valueFrom } of container(entry.name).env as EnvVar[]) {
        assert.ok(knownKey(schema, name), `${entry.name}: ${name} is in no config schema`);
        if (valueFrom) {
          const { name: secretName, key } = valueFrom.secretKeyRef;
          assert.equal(secretName, 'lattice-secrets', `${entry.name}: ${name}`);
          assert.ok(
            key in secret.stringData,
            `${entry.name}: ${name} from ${key}, not in the Secret`,
          );
          env[name] = secret.stringData[key];
          continue;
        }
        if (!name.endsWith('_FILE')) {
          env[name] = value;
          continue;
        }
        const file = value.slice(`${mount.mountPath}/`.length);
        assert.ok(items.includes(file), `${entry.name}: ${value} is not mounted`);
        env[name] = join(secretsDir, file);
      }
      assert.equal(
        env.SERVICE_CLIENT_SECRET_FILE,
        join(secretsDir, `${entry.name}.client-secret`),
        entry.name,
      );
      const config = loadConfig(entry.name, schema, env) as Record<string, unknown>;
      assert.equal(config.PORT, entry.port, entry.name);
      assert.equal(config.DISCOVERY_MODE, 'dns', entry.name);
    }
  });

  test("the example Secret's credential table matches each service's own credential", () => {
    const data = named('Secret', 'lattice-secrets').stringData as Record<string, string>;
    const table = credentialTable(data['service-credentials']!);
    assert.deepEqual([...table.keys()].sort(), catalog.map((s) => s.name).sort());
    for (const { name } of catalog) {
      assert.equal(table.get(name), data[`${name}.client-secret`], name);
      assert.ok(table.get(name)!.length >= 32, `${name}: credentials are 32+ characters`);
    }
  });

  test('kustomization.yaml lists every manifest but the example Secret, and the image', () => {
    const [kustomization] = ofKind('Kustomization');
    const manifestsOnDisk = readdirSync(kubernetesDir)
      .filter((f) => f.endsWith('.yaml'))
      .filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    assert.deepEqual([...kustomization.resources].sort(), manifestsOnDisk.sort());
    const image = String(container('gateway').image).split(':')[0];
    assert.deepEqual(
      kustomization.images.map((i: { name: string }) => i.name),
      [image],
    );
  });

  // kubectl is an optional tool here (no cluster is needed to build a kustomization).
  test('kubectl kustomize builds everything into the namespace, with the image', {
    skip: which('kubectl') ? false : 'kubectl is not installed',
  }, () => {
    const built = parseAllDocuments(
      execFileSync('kubectl', ['kustomize', kubernetesDir], { encoding: 'utf8' }),
    ).map((doc) => doc.toJS());
    const [kustomization] = ofKind('Kustomization');
    const listed = manifests.filter(
      ({ file, doc }) => kustomization.resources.includes(file) && doc,
    );
    assert.equal(built.length, listed.length);
    for (const object of built) {
      if (object.kind !== 'Namespace')
        assert.equal(object.metadata.namespace, 'lattice', object.kind);
      assert.equal(object.metadata.labels['app.kubernetes.io/part-of'], 'lattice', object.kind);
    }
    const { newName, newTag, name } = kustomization.images[0];
    const deployments = built.filter((object) => object.kind === 'Deployment');
    assert.deepEqual(
      deployments.map((d) => d.metadata.name).sort(),
      catalog.map((s) => s.name).sort(),
    );
    for (const deployment of deployments)
      assert.equal(
        deployment.spec.template.spec.containers[0].image,
        `${newName ?? name}:${newTag}`,
        deployment.metadata.name,
      );
  });
});
