/**
 * Variable names whose values are secrets: masked in every report, and flagged by the
 * security check when a service sets one to a literal value. One list, so both agree.
 */
export const SECRET_NAME =
  /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?/i;
