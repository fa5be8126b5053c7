import type Docker from 'dockerode';

/** What every module of the Docker adapter shares: the client, the node, the API version. */
export interface DockerContext {
  readonly docker: Docker;
  readonly node: string;
  /** The API version negotiated at connect (info()); undefined before, when requests go unversioned. */
  api?: string;
}
