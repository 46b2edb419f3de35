import { Authorized, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { VERSION } from './version.js';

@ObjectType({ description: 'What is running.' })
export class ServerInfo {
  @Field(() => String, { description: 'The Offload version.' })
  version!: string;
}

@Resolver()
export class ServerInfoResolver {
  @Authorized()
  @Query(() => ServerInfo, { description: 'The running server’s version.' })
  serverInfo(): ServerInfo {
    return { version: VERSION };
  }
}
