import { createConnection } from 'mysql2/promise';
import pg from 'pg';

/** One plain connection to a PostgreSQL or MariaDB/MySQL database, for the bench's own setup statements. */
export interface SqlClient {
  /** Runs `sql` with `?` placeholders (rewritten to `$n` for PostgreSQL); returns the rows. */
  query(sql: string, params?: readonly unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function connectSql(url: string): Promise<SqlClient> {
  if (/^postgres(ql)?:/i.test(url)) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await client.connect();
    return {
      query: async (sql, params = []) => {
        let n = 0;
        return (await client.query(sql.replace(/\?/g, () => `$${(n += 1)}`), [...params])).rows;
      },
      close: () => client.end(),
    };
  }
  const connection = await createConnection({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectTimeout: 5000 });
  return {
    query: async (sql, params = []) => (await connection.query(sql, [...params]))[0] as Array<Record<string, unknown>>,
    close: () => connection.end(),
  };
}
