package io.ferry.common.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;

import javax.crypto.AEADBadTagException;

import org.apache.sshd.common.cipher.ChaCha20Cipher;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.cipher.Cipher.Mode;
import org.junit.jupiter.api.Test;

/** Ferry's chacha20-poly1305@openssh.com must interoperate packet for packet with MINA's implementation. */
class ChaCha20Poly1305Test {

    private final Random random = new Random(7);

    @Test
    void shouldMatchMinasImplementationInBothDirections() throws Exception {
        byte[] key = bytes(64);
        byte[] iv = {0, 0, 0, 0, 0, 0, 0, 3}; // the sequence number at the key exchange
        roundTrip(new ChaCha20Poly1305(), new ChaCha20Cipher(), key, iv);
        roundTrip(new ChaCha20Cipher(), new ChaCha20Poly1305(), key, iv);
    }

    @Test
    void shouldMatchAcrossSequenceNumberWrapAround() throws Exception {
        byte[] iv = {0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFE};
        roundTrip(new ChaCha20Poly1305(), new ChaCha20Cipher(), bytes(64), iv);
    }

    @Test
    void shouldRefuseATamperedPacket() throws Exception {
        byte[] key = bytes(64);
        byte[] iv = new byte[8];
        Cipher sender = new ChaCha20Poly1305();
        Cipher receiver = new ChaCha20Poly1305();
        sender.init(Mode.Encrypt, key, iv);
        receiver.init(Mode.Decrypt, key, iv);
        byte[] packet = packet(1000);
        sender.updateWithAAD(packet, 0, 4, 1000);
        packet[100] ^= 1;
        receiver.updateAAD(packet, 0, 4);
        assertThatThrownBy(() -> receiver.update(packet, 4, 1000)).isInstanceOf(AEADBadTagException.class);
    }

    private void roundTrip(Cipher encrypter, Cipher decrypter, byte[] key, byte[] iv) throws Exception {
        encrypter.init(Mode.Encrypt, key, iv);
        decrypter.init(Mode.Decrypt, key, iv);
        for (int length : new int[] {8, 64, 1000, 32_768, 5, 256 * 1024, 16, 4096}) {
            byte[] packet = packet(length);
            byte[] plain = packet.clone();
            encrypter.updateWithAAD(packet, 0, 4, length);
            assertThat(Arrays.copyOfRange(packet, 4, 4 + length)).isNotEqualTo(Arrays.copyOfRange(plain, 4, 4 + length));
            decrypter.updateAAD(packet, 0, 4);
            assertThat(Arrays.copyOfRange(packet, 0, 4)).isEqualTo(Arrays.copyOfRange(plain, 0, 4));
            decrypter.update(packet, 4, length);
            assertThat(Arrays.copyOfRange(packet, 4, 4 + length)).isEqualTo(Arrays.copyOfRange(plain, 4, 4 + length));
        }
    }

    /** 4-byte length, payload, room for the 16-byte tag. */
    private byte[] packet(int length) {
        byte[] packet = new byte[4 + length + 16];
        packet[0] = (byte) (length >>> 24);
        packet[1] = (byte) (length >>> 16);
        packet[2] = (byte) (length >>> 8);
        packet[3] = (byte) length;
        byte[] payload = bytes(length);
        System.arraycopy(payload, 0, packet, 4, length);
        return packet;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
