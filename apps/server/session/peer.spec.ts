import { Peer } from './peer.js';

describe('Peer', () => {
  it('reads the address from the socket the first time a line names it, and only then', () => {
    let reads = 0;
    const peer = new Peer({
      get remoteAddress() {
        reads++;
        return '10.0.0.7';
      },
      remotePort: 51234,
    });
    expect(reads).toBe(0);
    expect(peer.name).toBe('10.0.0.7:51234');
    expect(peer.name).toBe('10.0.0.7:51234');
    expect(reads).toBe(1);
  });

  it('is unknown when first named after its socket is gone (which no longer knows its address)', () => {
    expect(new Peer({ remoteAddress: undefined, remotePort: undefined }).name).toBe('unknown:0');
  });
});
