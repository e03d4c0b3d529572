/** The server under test and its two accounts, from `make client-test`'s environment. */
export function setting(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the client's tests with \`make client-test\``);
  }
  return value;
}

export const baseUrl = setting("WORKBENCH_URL");
export const owner = { username: setting("WORKBENCH_USER"), password: setting("WORKBENCH_PASSWORD") };
export const stranger = {
  username: setting("WORKBENCH_OTHER_USER"),
  password: setting("WORKBENCH_OTHER_PASSWORD"),
};
