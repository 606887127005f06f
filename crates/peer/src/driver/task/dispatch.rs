//! The handles' commands, answered by the connection's task: each W3C method of
//! [`super::super::PeerConnection`], [`super::super::DataChannel`]
//! and [`RtpSender`] that needs what the task owns becomes a call on the core, whose result
//! goes back on the command's one-shot reply (the signalling methods run on the caller's
//! thread instead: see [`super::super::shared`]). A caller that stopped waiting does not
//! want the answer: failed replies are ignored.

use super::*;

impl Task {
    pub(super) fn command(&mut self, command: Command) {
        // A command may be for a channel made on a handle's thread.
        self.adopt_new_links();
        let now = clock();
        // The core, locked for the whole command; nothing below locks it again.
        let shared = Arc::clone(&self.shared);
        let mut core = shared.lock();
        let peer = &mut core.peer;
        // A caller that stopped waiting does not want the answer: sends are ignored.
        match command {
            Command::ResolveMdns { name, ip } => {
                self.io.mdns_resolved += 1;
                peer.resolve_mdns(now, &name, ip);
            }
            Command::Send {
                channel,
                message,
                reply,
            } => match peer.send(now, channel, message) {
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
                Ok(()) if peer.buffered_amount(channel) > self.high => {
                    peer.set_buffered_amount_low_threshold(channel, self.low);
                    self.blocked.push((channel, reply));
                }
                Ok(()) => {
                    let _ = reply.send(Ok(()));
                }
            },
            Command::BufferedAmount(channel, reply) => {
                let _ = reply.send(Ok(peer.buffered_amount(channel)));
            }
            Command::CloseDataChannel(channel) => {
                self.set_state(channel, ChannelState::Closing);
                peer.close_data_channel(now, channel);
            }
            Command::AddTransceiver {
                track_or_kind,
                init,
                reply,
            } => {
                let kind = match &track_or_kind {
                    crate::TrackOrKind::Kind(k) => k.clone(),
                    crate::TrackOrKind::Track(t) => t.kind.clone(),
                };
                let result = peer
                    .add_transceiver(now, track_or_kind, init)
                    .map_err(DriverError::from)
                    .and_then(|id| self.sender(id, kind));
                let _ = reply.send(result);
            }
            Command::AddTrack {
                track,
                streams,
                reply,
            } => {
                let kind = track.kind.clone();
                let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
                let result = peer
                    .add_track(now, track, &streams)
                    .map_err(DriverError::from)
                    .and_then(|id| self.sender(id, kind));
                let _ = reply.send(result);
            }
            Command::RemoveTrack { id, reply } => {
                let _ = reply.send(peer.remove_track(now, id).map_err(Into::into));
            }
            Command::SetDirection {
                id,
                direction,
                reply,
            } => {
                let result = peer.set_direction(now, id, direction);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::StopTransceiver { id, reply } => {
                let _ = reply.send(peer.stop_transceiver(now, id).map_err(Into::into));
            }
            Command::Transceivers(reply) => {
                let _ = reply.send(Ok(peer.transceivers()));
            }
            Command::WriteFrame { id, frame, reply } => {
                let outgoing = crate::OutgoingFrame {
                    payload_type: frame.payload_type,
                    rtp_timestamp: frame.rtp_timestamp,
                    capture_time: frame.capture_time,
                    audio_level: frame.audio_level,
                    talkspurt_start: false,
                    keyframe: frame.keyframe,
                    video_size: frame.video_size,
                    data: &frame.data,
                };
                let result = peer.write_frame(now, id, outgoing);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::SendAudio {
                id,
                pcm,
                capture_time,
                reply,
            } => {
                let result = self.media.send_audio(peer, now, id, &pcm, capture_time);
                let _ = reply.send(result);
            }
            Command::SetAudioProcessing {
                id,
                settings,
                reply,
            } => {
                let _ = reply.send(self.media.set_audio_processing(peer, id, settings));
            }
            Command::AudioProcessingStats { id, reply } => {
                let _ = reply.send(self.media.audio_processing_stats(peer, id));
            }
            Command::ReplaceTrack { id, track, reply } => {
                let _ = reply.send(peer.replace_track(id, track).map_err(Into::into));
            }
            Command::SenderParameters { id, reply } => {
                let result = peer
                    .sender_parameters(id)
                    .ok_or(DriverError::Peer(crate::Error::UnknownTransceiver(id)));
                let _ = reply.send(result);
            }
            Command::SetSenderParameters {
                id,
                parameters,
                reply,
            } => {
                let result = peer.set_sender_parameters(id, parameters);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::InsertDtmf {
                id,
                tones,
                duration,
                gap,
                reply,
            } => {
                let result = peer.insert_dtmf(now, id, &tones, duration, gap);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::ToneBuffer { id, reply } => {
                let _ = reply.send(Ok(peer.dtmf_tone_buffer(id).unwrap_or_default()));
            }
            Command::RequestKeyFrame { id, reply } => {
                let result = peer.request_key_frame(now, id);
                let _ = reply.send(result.map_err(Into::into));
            }
            Command::AttachVideoSender { id, shared, reply } => {
                self.media.attach_video_sender(id, shared);
                let _ = reply.send(Ok(()));
            }
            Command::AttachVideoDecoder { id, shared, reply } => {
                self.media.attach_video_decoder(id, shared);
                let _ = reply.send(Ok(()));
            }
            Command::RestartIce(reply) => {
                let _ = reply.send(peer.restart_ice(now).map_err(Into::into));
            }
            Command::Configuration(reply) => {
                let _ = reply.send(Ok(peer.configuration().clone()));
            }
            Command::SetConfiguration { config, reply } => {
                self.sockets.add_tcp_stun_servers(&config.ice_servers);
                let _ = reply.send(peer.set_configuration(*config).map_err(Into::into));
            }
            Command::Stats(reply) => {
                let mut report = peer.stats_report(now);
                self.media.add_stats(peer, &mut report);
                let _ = reply.send(Ok(report));
            }
            Command::Info(reply) => {
                // `info` locks the core itself.
                drop(core);
                let _ = reply.send(Ok(self.info()));
            }
            Command::Close(reply) => {
                peer.close(now);
                self.closing = Some(Some(reply));
            }
        }
    }

    /// A sender handle for transceiver `id`.
    fn sender(
        &self,
        id: crate::TransceiverId,
        kind: crate::MediaKind,
    ) -> Result<RtpSender, DriverError> {
        let commands = self.weak.upgrade().ok_or(DriverError::Closed)?;
        Ok(RtpSender { id, kind, commands })
    }

    fn info(&self) -> PeerConnectionInfo {
        let shared = Arc::clone(&self.shared);
        let core = shared.lock();
        let peer = &core.peer;
        let mut io = self.io;
        let tcp = self.sockets.tcp_counts();
        io.tcp_connections_accepted = tcp.accepted;
        io.tcp_connections_opened = tcp.opened;
        io.tcp_connections_refused = tcp.refused;
        io.tcp_connections_evicted = tcp.evicted;
        io.tcp_datagrams_dropped = tcp.dropped;
        if let Some(publisher) = &self.publisher {
            (
                io.mdns_names_published,
                io.mdns_answers_sent,
                io.mdns_answers_limited,
            ) = publisher.counts();
        }
        PeerConnectionInfo {
            connection_state: peer.connection_state(),
            ice_connection_state: peer.ice_connection_state(),
            ice_gathering_state: peer.ice_gathering_state(),
            signaling_state: peer.signaling_state(),
            dtls_state: peer.dtls_state(),
            failure: peer.failure().cloned(),
            selected_candidate_pair: peer.selected_candidate_pair(),
            srtp_profile: peer.srtp_profile(),
            sctp_snap: peer.sctp_snap(),
            sped_state: peer.sped_state(),
            sped_stats: peer.sped_stats(),
            dtls_cipher: peer.dtls_cipher(),
            dtls_version: peer.dtls_version(),
            dtls_group: peer.dtls_group(),
            local_description: peer.local_description(),
            remote_description: peer.remote_description(),
            pending_local_description: peer.pending_local_description(),
            current_local_description: peer.current_local_description(),
            pending_remote_description: peer.pending_remote_description(),
            current_remote_description: peer.current_remote_description(),
            stats: peer.stats(),
            transceivers: peer
                .transceivers()
                .into_iter()
                .filter_map(|t| Some((t.id, peer.transceiver_stats(t.id)?)))
                .collect(),
            playout: self.media.playout_stats(),
            congestion_control: peer.congestion_control(),
            io,
        }
    }
}
