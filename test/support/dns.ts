// A DNS server of the test's own on loopback (UDP), answering A, AAAA and TXT from a table the
// test fills: Berth's resolver (DNS_RESOLVERS) is pointed at it, so no query leaves the machine.
import { createSocket, Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface TestDns {
  port: number;
  /** Sets the records of `name` of `type` (an empty list removes them). */
  set(name: string, type: 'A' | 'AAAA' | 'TXT', values: string[]): void;
  /** Every name asked, in order. */
  asked: string[];
  close(): Promise<void>;
}

/** Answers on 127.0.0.1:`port` (0: any free port, which `port` of the answer then says). */
export async function startDns(port: number): Promise<TestDns> {
  const records = new Map<string, string[]>();
  const asked: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    asked.push(name);
    const values = records.get(`${question.type} ${name}`) ?? [];
    const answers = values.map((data) => ({ type: question.type, name: question.name, ttl: 1, class: 'IN', data: question.type === 'TXT' ? [data] : data }));
    const known = [...records.keys()].some((k) => k.endsWith(` ${name}`));
    const response = dnsPacket.encode({
      id: query.id,
      type: 'response',
      // NXDOMAIN for names the table does not hold at all, NOERROR (maybe empty) otherwise.
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: [question],
      answers: answers as dnsPacket.Answer[],
    });
    socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve());
  });
  return {
    // The port asked for, or the one the system chose for 0.
    port: socket.address().port,
    asked,
    set: (name, type, values) => {
      const key = `${type} ${name.toLowerCase()}`;
      if (values.length) records.set(key, values);
      else records.delete(key);
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
