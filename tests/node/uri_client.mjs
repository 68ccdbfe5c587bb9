// Fetch credentials from a credentials URI with the official Node client and
// print them as JSON (only the id and whether a token came; never the secret).
import Credential from '@alicloud/credentials';

const uri = process.argv[2];
const cred = new Credential.default(new Credential.Config({ type: 'credentials_uri', credentialsURI: uri }));
try {
  const c = await cred.getCredential();
  console.log(JSON.stringify({ ok: true, accessKeyId: c.accessKeyId, hasToken: !!c.securityToken, secretLength: (c.accessKeySecret || '').length }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message || e).split('\n')[0] }));
}
