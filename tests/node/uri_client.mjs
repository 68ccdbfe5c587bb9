// Fetch credentials from a credentials URI with the official Node client and,
// given an RPC endpoint (the emulator), call STS GetCallerIdentity with them,
// signed by the official @alicloud/pop-core RPC client. Prints JSON: the key
// id, whether a token came, who STS says we are, or the first line of the
// error; never the secret.
import Credential from '@alicloud/credentials';
import RPCClient from '@alicloud/pop-core';

const [uri, rpcEndpoint] = process.argv.slice(2);
// The client's refusal quotes the endpoint's whole answer, secret included: redact it.
const line = (e) => String((e && e.message) || e).split('\n')[0]
  .replace(/"AccessKeySecret":"[^"]*"/g, '"AccessKeySecret":"<redacted>"');
const out = {};
try {
  const cred = new Credential.default(new Credential.Config({ type: 'credentials_uri', credentialsURI: uri }));
  const c = await cred.getCredential();
  Object.assign(out, { ok: true, accessKeyId: c.accessKeyId, hasToken: !!c.securityToken, secretLength: (c.accessKeySecret || '').length });
  if (rpcEndpoint) {
    const client = new RPCClient({
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      securityToken: c.securityToken,
      endpoint: rpcEndpoint,
      apiVersion: '2015-04-01',
    });
    try {
      const who = await client.request('GetCallerIdentity', {}, { method: 'POST', timeout: 10000 });
      out.identity = { Arn: who.Arn, AccountId: who.AccountId, IdentityType: who.IdentityType };
    } catch (e) {
      out.identityError = line(e);
    }
  }
} catch (e) {
  Object.assign(out, { ok: false, error: line(e) });
}
console.log(JSON.stringify(out));
