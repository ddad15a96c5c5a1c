// English and Brazilian Portuguese. The language comes from a choice saved in localStorage, else from
// navigator.languages (the first pt* or en* wins), else English. Static labels carry data-i18n* attributes;
// code asks t(key, params). A value may be {one, other} for plurals (chosen by params.n).

const STORAGE_KEY = 'relay.lang';

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'pt-BR', name: 'Português (Brasil)' },
];

const en = {
  'app.title': 'Chat Webhook Relay',
  'lang.label': 'Language',
  'nav.settings': 'Settings and webhook status',
  'nav.chat': 'Back to the chat',
  'banner.offline': 'Offline — reconnecting…',
  'common.never': 'never',
  'common.notSet': '(not set)',

  'signin.title': 'Sign in',
  'signin.hint': 'This relay is protected. Enter the access token (APP_TOKEN) to continue.',
  'signin.token': 'Access token',
  'signin.submit': 'Sign in',
  'signin.wrong': 'That token is not right.',

  'chat.skip': 'Skip to the message box',
  'chat.back': 'Back to the conversations',
  'chat.placeholder': 'Pick a conversation or start a new chat.',
  'chat.older': 'Load older messages',
  'chat.drop': 'Drop files to attach them',
  'newChat.label': 'New chat: phone number',
  'newChat.placeholder': 'e.g. (11) 99999-9999',
  'newChat.open': 'Open',
  'conv.label': 'Conversations',
  'conv.empty': 'No conversations yet.',
  'conv.new': 'New chat',
  'conv.summary': '{delivered} delivered, {failed} failed, {pending} pending',
  'conv.more': 'Load more conversations',
  'conv.loading': 'Loading conversations…',
  'conv.unseen': 'New activity',
  'conv.blocked': 'Blocked: a failed message holds this conversation back until it is resent or skipped',
  'conv.draft': 'Draft: {text}',

  'composer.label': 'Message',
  'composer.placeholder': 'Type a message',
  'composer.help': 'Enter sends, Shift+Enter starts a new line.',
  'composer.attach': 'Attach files',
  'composer.send': 'Send',
  'composer.removeFile': 'Remove {name}',
  'chip.download': 'Download {name}',
  'upload.label': 'Upload progress',
  'upload.progress': 'Uploading {percent}% ({loaded} of {total})',
  'upload.cancel': 'Cancel',
  'message.retry': 'Try again',
  'message.dismiss': 'Dismiss',
  'message.resend': 'Resend',
  'message.skip': 'Skip',
  'message.skipTitle': 'Give up on this message so that the ones after it can go',

  'status.queued': 'Queued',
  'status.sending': 'Sending',
  'status.retrying': 'Retrying',
  'status.held': 'Held: the webhook circuit is open',
  'status.waiting': 'Waiting for an earlier message',
  'status.waitingFor': 'waits for an earlier message',
  'status.waitingTitle': 'Messages to one number go in order: this one goes after the earlier one',
  'status.headRetryIn': 'its retry in {s}s',
  'status.headFailed': 'which failed: resend or skip it',
  'status.blocking': 'The messages after it wait until it is resent or skipped',
  'status.heldShort': 'held, circuit open',
  'status.delivered': 'Delivered',
  'status.failed': 'Failed',
  'status.unsent': 'Not sent',
  'status.unknown': 'Unknown',
  'status.attemptOf': 'attempt {n} of {max}',
  'status.nextIn': 'next try in {s}s',
  'status.tryingNow': 'trying now…',
  'status.noReason': 'no reason given',
  'status.failedDetail': 'Failed after {attempts} of {max} attempts: {reason}',
  'announce.failed': 'A message failed to reach the webhook.',
  'announce.resent': 'Message queued again.',
  'announce.skipped': 'Message skipped; the ones after it go on.',

  'circuit.indicatorOpen': 'Webhook paused',
  'circuit.indicatorHalfOpen': 'Webhook being tested',
  'circuit.indicatorTitle': 'Open the settings page for details',

  'settings.title': 'Settings',
  'circuit.title': 'Webhook circuit',
  'circuit.closed': 'Closed — delivering',
  'circuit.halfOpen': 'Half-open — probing the webhook',
  'circuit.open': 'Open — deliveries paused',
  'circuit.unknown': 'Unknown',
  'circuit.nextProbe': 'Next probe in {s}s',
  'circuit.probing': 'Probing now…',
  'circuit.failures': 'Consecutive failures',
  'circuit.failuresOf': '{n} of {max}',
  'circuit.openFor': 'Stays open for',
  'circuit.seconds': '{s} s',
  'circuit.openedAt': 'Opened at',
  'stats.successRate': 'Success rate',
  'stats.attempts': { one: '{n} attempt: {ok} ok, {failed} failed', other: '{n} attempts: {ok} ok, {failed} failed' },
  'stats.noAttempts': 'no attempts yet',
  'stats.lastSuccess': 'Last success',
  'stats.lastFailure': 'Last failure',
  'webhook.url': 'Webhook',
  'queue.title': 'Messages by state',
  'queue.queued': 'Queued',
  'queue.waiting': 'Waiting',
  'queue.sending': 'Sending',
  'queue.retrying': 'Retrying',
  'queue.held': 'Held',
  'queue.failed': 'Failed',
  'queue.delivered': 'Delivered',
  'actions.reset': '🔄 Reset circuit',
  'actions.test': 'Send test event',
  'actions.redeliverFailed': 'Resend all failed ({n})',
  'actions.working': 'Working…',
  'actions.resetDone': 'Circuit reset: deliveries resume.',
  'actions.requeued': { one: '{n} message queued again.', other: '{n} messages queued again.' },
  'actions.ms': '{ms} ms',
  'test.delivered': 'Test event delivered',
  'test.failed': 'Test event failed',
  'test.held': 'Test event held: the circuit is open',
  'test.queued': 'Test event queued',
  'failures.title': 'Recent failures',
  'failures.when': 'When',
  'failures.message': 'Message',
  'failures.attempt': 'Attempt',
  'failures.result': 'Status or error',
  'failures.none': 'No failures. 🎉',
  'config.title': 'Configuration in force',
  'config.hint': 'Where each value comes from. The delivery settings change above; the rest need .env and a restart.',
  'config.key': 'Setting',
  'config.value': 'Value',
  'config.source': 'From',
  'source.file': '.env',
  'source.environment': 'environment',
  'source.default': 'default',
  'demo.title': 'Demo receiver',
  'demo.hint': 'The built-in test webhook. Switch its mode to watch retries and the circuit breaker at work.',
  'demo.mode': 'Mode',
  'demo.healthy': 'Healthy',
  'demo.failing': 'Failing',
  'demo.slow': 'Slow',
  'demo.gone': 'Gone',
  'demo.received': 'Received',
  'demo.what': 'What',
  'demo.signature': 'Signature',
  'demo.sha': 'SHA-256',
  'demo.answered': 'Answer',
  'demo.none': 'Nothing received yet.',
  'demo.duplicate': 'duplicate',
  'demo.sig.valid': 'Valid signature',
  'demo.sig.invalid': 'Invalid signature',
  'demo.sig.unsigned': 'Not signed',
  'demo.shaState.true': 'File matches its SHA-256',
  'demo.shaState.false': 'File does not match its SHA-256',
  'demo.shaState.null': 'No file',

  'error.unexpected': 'Something went wrong.',
  'error.network': 'The server cannot be reached. Check your connection and try again.',
  'error.upload_failed': 'The upload was interrupted (the file may be too large, or the connection dropped).',
  'error.phone_required': 'Enter a phone number.',
  'error.invalid_phone': 'This is not a valid phone number.',
  'error.empty_message': 'Type a message or attach a file.',
  'error.text_too_long': 'The message is too long.',
  'error.text_too_long_n': 'The message is too long: {n} characters, at most {max}.',
  'error.text_has_nul': 'The message contains a character that cannot be sent.',
  'error.invalid_text': 'The message contains a broken character (an unpaired surrogate) and cannot be sent.',
  'error.text_blank': 'The message has nothing visible in it: type some text, or send just the file.',
  'error.attachment_too_large': 'The file is too large.',
  'error.file_too_large': '{name} is too large: at most {max}.',
  'error.body_too_large': 'The request is too large.',
  'error.unsupported_attachment_type': 'This kind of file cannot be sent: only images, PDFs, documents, audio and video.',
  'error.unknown_attachment': 'The uploaded file is gone: attach it again.',
  'error.message_not_found': 'This message no longer exists.',
  'error.already_delivered': 'Already delivered.',
  'error.delivery_in_progress': 'A delivery attempt is in progress.',
  'error.unauthorized': 'Please sign in.',
  'error.invalid_token': 'That token is not right.',
  'error.cross_origin': 'Refused: the request came from another site.',
  'error.too_many_attempts': 'Too many wrong tokens from this address: wait a minute and try again.',
  'error.misdirected_request': 'This server does not answer to that address.',
  'error.insufficient_storage': 'The server is out of disk space: nothing was stored. Try again once space is freed.',
  'error.store_busy': 'The server is busy: try again in a moment.',
  'error.store_unavailable': 'The server cannot reach its storage right now: nothing was stored.',
  'error.name_required': 'Type a name, or clear it to remove the name.',
  'error.name_blank': 'The name has nothing visible in it.',
  'error.name_too_long': 'The name is too long: at most 100 characters.',
  'error.invalid_name': 'The name must be one line, without control or broken characters.',
  'error.invalid_query': 'Type something to search for (at most 200 characters).',

  // Composer and outbox: preview strip with captions, the character counter, messages waiting for the connection.
  'composer.caption': 'Caption (optional)',
  'composer.captionFor': 'Caption for {name}',
  'composer.counter': '{n} / {max} characters',
  'outbox.waiting': 'waiting for connection',
  'thread.newMessages': { one: '↓ {n} new message', other: '↓ {n} new messages' },
};

const ptBR = {
  'app.title': 'Chat Webhook Relay',
  'lang.label': 'Idioma',
  'nav.settings': 'Configurações e status do webhook',
  'nav.chat': 'Voltar ao chat',
  'banner.offline': 'Sem conexão — reconectando…',
  'common.never': 'nunca',
  'common.notSet': '(não definido)',

  'signin.title': 'Entrar',
  'signin.hint': 'Este relay é protegido. Informe o token de acesso (APP_TOKEN) para continuar.',
  'signin.token': 'Token de acesso',
  'signin.submit': 'Entrar',
  'signin.wrong': 'Token incorreto.',

  'chat.skip': 'Ir para a caixa de mensagem',
  'chat.back': 'Voltar às conversas',
  'chat.placeholder': 'Escolha uma conversa ou inicie um novo chat.',
  'chat.older': 'Carregar mensagens anteriores',
  'chat.drop': 'Solte os arquivos para anexá-los',
  'newChat.label': 'Novo chat: telefone',
  'newChat.placeholder': 'ex.: (11) 99999-9999',
  'newChat.open': 'Abrir',
  'conv.label': 'Conversas',
  'conv.empty': 'Nenhuma conversa ainda.',
  'conv.new': 'Novo chat',
  'conv.summary': '{delivered} entregues, {failed} com falha, {pending} pendentes',
  'conv.more': 'Carregar mais conversas',
  'conv.loading': 'Carregando conversas…',
  'conv.unseen': 'Novidades',
  'conv.blocked': 'Bloqueada: uma mensagem com falha segura esta conversa até ser reenviada ou pulada',
  'conv.draft': 'Rascunho: {text}',

  'composer.label': 'Mensagem',
  'composer.placeholder': 'Digite uma mensagem',
  'composer.help': 'Enter envia, Shift+Enter começa uma nova linha.',
  'composer.attach': 'Anexar arquivos',
  'composer.send': 'Enviar',
  'composer.removeFile': 'Remover {name}',
  'chip.download': 'Baixar {name}',
  'upload.label': 'Progresso do envio',
  'upload.progress': 'Enviando {percent}% ({loaded} de {total})',
  'upload.cancel': 'Cancelar',
  'message.retry': 'Tentar de novo',
  'message.dismiss': 'Descartar',
  'message.resend': 'Reenviar',
  'message.skip': 'Pular',
  'message.skipTitle': 'Desistir desta mensagem para que as seguintes possam seguir',

  'status.queued': 'Na fila',
  'status.sending': 'Enviando',
  'status.retrying': 'Tentando de novo',
  'status.held': 'Retida: o circuito do webhook está aberto',
  'status.waiting': 'Aguardando uma mensagem anterior',
  'status.waitingFor': 'aguarda uma mensagem anterior',
  'status.waitingTitle': 'As mensagens para um número seguem em ordem: esta vai depois da anterior',
  'status.headRetryIn': 'nova tentativa dela em {s}s',
  'status.headFailed': 'que falhou: reenvie ou pule',
  'status.blocking': 'As mensagens seguintes aguardam até esta ser reenviada ou pulada',
  'status.heldShort': 'retida, circuito aberto',
  'status.delivered': 'Entregue',
  'status.failed': 'Falhou',
  'status.unsent': 'Não enviada',
  'status.unknown': 'Desconhecido',
  'status.attemptOf': 'tentativa {n} de {max}',
  'status.nextIn': 'próxima em {s}s',
  'status.tryingNow': 'tentando agora…',
  'status.noReason': 'motivo não informado',
  'status.failedDetail': 'Falhou após {attempts} de {max} tentativas: {reason}',
  'announce.failed': 'Uma mensagem não chegou ao webhook.',
  'announce.resent': 'Mensagem colocada na fila de novo.',
  'announce.skipped': 'Mensagem pulada; as seguintes seguem.',

  'circuit.indicatorOpen': 'Webhook pausado',
  'circuit.indicatorHalfOpen': 'Webhook em teste',
  'circuit.indicatorTitle': 'Abra as configurações para ver os detalhes',

  'settings.title': 'Configurações',
  'circuit.title': 'Circuito do webhook',
  'circuit.closed': 'Fechado — entregando',
  'circuit.halfOpen': 'Meio-aberto — testando o webhook',
  'circuit.open': 'Aberto — entregas pausadas',
  'circuit.unknown': 'Desconhecido',
  'circuit.nextProbe': 'Próximo teste em {s}s',
  'circuit.probing': 'Testando agora…',
  'circuit.failures': 'Falhas seguidas',
  'circuit.failuresOf': '{n} de {max}',
  'circuit.openFor': 'Fica aberto por',
  'circuit.seconds': '{s} s',
  'circuit.openedAt': 'Aberto em',
  'stats.successRate': 'Taxa de sucesso',
  'stats.attempts': { one: '{n} tentativa: {ok} ok, {failed} com falha', other: '{n} tentativas: {ok} ok, {failed} com falha' },
  'stats.noAttempts': 'nenhuma tentativa ainda',
  'stats.lastSuccess': 'Último sucesso',
  'stats.lastFailure': 'Última falha',
  'webhook.url': 'Webhook',
  'queue.title': 'Mensagens por estado',
  'queue.queued': 'Na fila',
  'queue.waiting': 'Aguardando',
  'queue.sending': 'Enviando',
  'queue.retrying': 'Nova tentativa',
  'queue.held': 'Retidas',
  'queue.failed': 'Com falha',
  'queue.delivered': 'Entregues',
  'actions.reset': '🔄 Reiniciar circuito',
  'actions.test': 'Enviar evento de teste',
  'actions.redeliverFailed': 'Reenviar todas com falha ({n})',
  'actions.working': 'Processando…',
  'actions.resetDone': 'Circuito reiniciado: as entregas continuam.',
  'actions.requeued': { one: '{n} mensagem colocada na fila de novo.', other: '{n} mensagens colocadas na fila de novo.' },
  'actions.ms': '{ms} ms',
  'test.delivered': 'Evento de teste entregue',
  'test.failed': 'Evento de teste falhou',
  'test.held': 'Evento de teste retido: o circuito está aberto',
  'test.queued': 'Evento de teste na fila',
  'failures.title': 'Falhas recentes',
  'failures.when': 'Quando',
  'failures.message': 'Mensagem',
  'failures.attempt': 'Tentativa',
  'failures.result': 'Status ou erro',
  'failures.none': 'Nenhuma falha. 🎉',
  'config.title': 'Configuração em vigor',
  'config.hint': 'De onde vem cada valor. As configurações de entrega mudam acima; as demais pedem o .env e um reinício.',
  'config.key': 'Chave',
  'config.value': 'Valor',
  'config.source': 'Origem',
  'source.file': '.env',
  'source.environment': 'ambiente',
  'source.default': 'padrão',
  'demo.title': 'Receptor de demonstração',
  'demo.hint': 'O webhook de teste embutido. Mude o modo para ver as novas tentativas e o disjuntor em ação.',
  'demo.mode': 'Modo',
  'demo.healthy': 'Saudável',
  'demo.failing': 'Falhando',
  'demo.slow': 'Lento',
  'demo.gone': 'Removido',
  'demo.received': 'Recebido',
  'demo.what': 'O quê',
  'demo.signature': 'Assinatura',
  'demo.sha': 'SHA-256',
  'demo.answered': 'Resposta',
  'demo.none': 'Nada recebido ainda.',
  'demo.duplicate': 'duplicada',
  'demo.sig.valid': 'Assinatura válida',
  'demo.sig.invalid': 'Assinatura inválida',
  'demo.sig.unsigned': 'Sem assinatura',
  'demo.shaState.true': 'O arquivo confere com o SHA-256',
  'demo.shaState.false': 'O arquivo não confere com o SHA-256',
  'demo.shaState.null': 'Sem arquivo',

  'error.unexpected': 'Algo deu errado.',
  'error.network': 'Não foi possível falar com o servidor. Verifique a conexão e tente de novo.',
  'error.upload_failed': 'O envio foi interrompido (o arquivo pode ser grande demais, ou a conexão caiu).',
  'error.phone_required': 'Informe um número de telefone.',
  'error.invalid_phone': 'Este não é um número de telefone válido.',
  'error.empty_message': 'Digite uma mensagem ou anexe um arquivo.',
  'error.text_too_long': 'A mensagem é longa demais.',
  'error.text_too_long_n': 'A mensagem é longa demais: {n} caracteres, no máximo {max}.',
  'error.text_has_nul': 'A mensagem contém um caractere que não pode ser enviado.',
  'error.invalid_text': 'A mensagem contém um caractere corrompido (um surrogate sem par) e não pode ser enviada.',
  'error.text_blank': 'A mensagem não tem nada visível: digite algum texto ou envie só o arquivo.',
  'error.attachment_too_large': 'O arquivo é grande demais.',
  'error.file_too_large': '{name} é grande demais: no máximo {max}.',
  'error.body_too_large': 'A requisição é grande demais.',
  'error.unsupported_attachment_type': 'Este tipo de arquivo não pode ser enviado: apenas imagens, PDFs, documentos, áudio e vídeo.',
  'error.unknown_attachment': 'O arquivo enviado não existe mais: anexe-o de novo.',
  'error.message_not_found': 'Esta mensagem não existe mais.',
  'error.already_delivered': 'Já foi entregue.',
  'error.delivery_in_progress': 'Uma tentativa de entrega está em andamento.',
  'error.unauthorized': 'Entre para continuar.',
  'error.invalid_token': 'Token incorreto.',
  'error.cross_origin': 'Recusado: a requisição veio de outro site.',
  'error.too_many_attempts': 'Muitos tokens errados deste endereço: espere um minuto e tente de novo.',
  'error.misdirected_request': 'Este servidor não atende por esse endereço.',
  'error.insufficient_storage': 'O servidor está sem espaço em disco: nada foi guardado. Tente de novo quando houver espaço.',
  'error.store_busy': 'O servidor está ocupado: tente de novo em instantes.',
  'error.store_unavailable': 'O servidor não consegue acessar o armazenamento agora: nada foi guardado.',
  'error.name_required': 'Digite um nome, ou apague-o para remover o nome.',
  'error.name_blank': 'O nome não tem nada visível.',
  'error.name_too_long': 'O nome é longo demais: no máximo 100 caracteres.',
  'error.invalid_name': 'O nome deve ter uma só linha, sem caracteres de controle ou corrompidos.',
  'error.invalid_query': 'Digite algo para buscar (no máximo 200 caracteres).',

  // Composer and outbox: preview strip with captions, the character counter, messages waiting for the connection.
  'composer.caption': 'Legenda (opcional)',
  'composer.captionFor': 'Legenda de {name}',
  'composer.counter': '{n} / {max} caracteres',
  'outbox.waiting': 'aguardando conexão',
  'thread.newMessages': { one: '↓ {n} mensagem nova', other: '↓ {n} mensagens novas' },
};

// ---- Message info panel and media (pictures viewer, players, PDF in a new tab)
Object.assign(en, {
  'info.title': 'Message details',
  'info.close': 'Close the details',
  'info.loading': 'Loading…',
  'info.status': 'State',
  'info.reason': 'Why',
  'info.tries': 'Attempts',
  'info.next': 'Next try',
  'info.created': 'Sent at',
  'info.attempts': 'Every attempt',
  'info.noAttempts': 'No attempt yet.',
  'info.waitingFor': 'goes after an earlier message to this number, which is: {status}',
  'info.held': 'held while the webhook circuit is open: it goes when a test attempt succeeds or the circuit is reset',
  'info.in': 'in {s}s',
  'info.ms': '{ms} ms',
  'info.sendAgain': 'Send again',
  'media.view': 'View the picture {name}',
  'media.openTab': 'Open {name} in a new tab',
  'lightbox.counter': '{n} of {total}',
  'lightbox.close': 'Close the viewer',
  'lightbox.prev': 'Previous picture',
  'lightbox.next': 'Next picture',
});
Object.assign(ptBR, {
  'info.title': 'Detalhes da mensagem',
  'info.close': 'Fechar os detalhes',
  'info.loading': 'Carregando…',
  'info.status': 'Estado',
  'info.reason': 'Por quê',
  'info.tries': 'Tentativas',
  'info.next': 'Próxima tentativa',
  'info.created': 'Enviada em',
  'info.attempts': 'Todas as tentativas',
  'info.noAttempts': 'Nenhuma tentativa ainda.',
  'info.waitingFor': 'vai depois de uma mensagem anterior para este número, que está: {status}',
  'info.held': 'retida enquanto o circuito do webhook está aberto: segue quando uma tentativa de teste der certo ou o circuito for reiniciado',
  'info.in': 'em {s}s',
  'info.ms': '{ms} ms',
  'info.sendAgain': 'Enviar de novo',
  'media.view': 'Ver a imagem {name}',
  'media.openTab': 'Abrir {name} em uma nova aba',
  'lightbox.counter': '{n} de {total}',
  'lightbox.close': 'Fechar o visualizador',
  'lightbox.prev': 'Imagem anterior',
  'lightbox.next': 'Próxima imagem',
});

// ---------------------------------------------------------------- the operator's day: settings sections, the
// circuit in plain words, names, search and unread counts in the conversation list
Object.assign(en, {
  'settings.index': 'On this page',
  'section.webhook': 'Webhook',
  'section.delivery': 'Delivery',
  'section.circuit': 'Circuit',
  'section.demo': 'Demo receiver',
  'section.failures': 'Recent failures',
  'section.configuration': 'Configuration',
  'failures.to': 'To',
  'failures.more': 'Show older failures',
  'circuit.paused': 'Paused until you reset',
  'circuit.pausedLabel': 'Paused',
  'circuit.untilReset': 'until you reset the circuit',
  'circuit.pausedAt': 'Paused at',
  'circuit.pausedBecause': 'Why: {reason}',
  'circuit.explain.closed': 'Messages go to the webhook as they come.',
  'circuit.explain.open': 'After {max} failures in a row deliveries wait {s} s; then one message tests the webhook, and delivery resumes if it gets through.',
  'circuit.explain.half_open': 'One message is testing the webhook; the others wait for its answer.',
  'circuit.explainPaused': 'The webhook answered 410 Gone: nothing is sent, and nothing is tried, until you reset the circuit.',
  'circuit.resetReopened': 'Reset; the next attempt failed again — circuit re-opened.',
  'circuit.resetPausedAgain': 'Reset; the webhook answered 410 Gone again — paused until you reset.',
});
Object.assign(ptBR, {
  'settings.index': 'Nesta página',
  'section.webhook': 'Webhook',
  'section.delivery': 'Entrega',
  'section.circuit': 'Circuito',
  'section.demo': 'Receptor de demonstração',
  'section.failures': 'Falhas recentes',
  'section.configuration': 'Configuração',
  'failures.to': 'Para',
  'failures.more': 'Mostrar falhas mais antigas',
  'circuit.paused': 'Pausado até você reiniciar',
  'circuit.pausedLabel': 'Pausado',
  'circuit.untilReset': 'até você reiniciar o circuito',
  'circuit.pausedAt': 'Pausado em',
  'circuit.pausedBecause': 'Motivo: {reason}',
  'circuit.explain.closed': 'As mensagens vão para o webhook assim que chegam.',
  'circuit.explain.open': 'Depois de {max} falhas seguidas as entregas esperam {s} s; então uma mensagem testa o webhook, e as entregas continuam se ela passar.',
  'circuit.explain.half_open': 'Uma mensagem está testando o webhook; as outras esperam a resposta dela.',
  'circuit.explainPaused': 'O webhook respondeu 410 Gone: nada é enviado, nem tentado, até você reiniciar o circuito.',
  'circuit.resetReopened': 'Reiniciado; a tentativa seguinte falhou de novo — o circuito reabriu.',
  'circuit.resetPausedAgain': 'Reiniciado; o webhook respondeu 410 Gone de novo — pausado até você reiniciar.',
});
Object.assign(en, {
  'search.label': 'Search names, phones and messages',
  'search.placeholder': '🔍 Search names, phones, messages',
  'search.searching': 'Searching…',
  'search.conversations': 'Conversations',
  'search.messages': 'Messages',
  'search.none': 'Nothing found for “{q}”.',
  'search.short': 'Type 3 or more characters to search message text too.',
  'search.more': 'Show more',
  'search.loading': 'Loading…',
  'contact.edit': 'Name this contact',
  'contact.label': 'Contact name',
  'contact.save': 'Save',
  'contact.remove': 'Remove name',
  'contact.cancel': 'Cancel',
  'conv.unread': { one: '{n} unread message', other: '{n} unread messages' },
});
Object.assign(ptBR, {
  'search.label': 'Buscar nomes, telefones e mensagens',
  'search.placeholder': '🔍 Buscar nomes, telefones, mensagens',
  'search.searching': 'Buscando…',
  'search.conversations': 'Conversas',
  'search.messages': 'Mensagens',
  'search.none': 'Nada encontrado para “{q}”.',
  'search.short': 'Digite 3 ou mais caracteres para buscar também no texto das mensagens.',
  'search.more': 'Mostrar mais',
  'search.loading': 'Carregando…',
  'contact.edit': 'Dar nome a este contato',
  'contact.label': 'Nome do contato',
  'contact.save': 'Salvar',
  'contact.remove': 'Remover nome',
  'contact.cancel': 'Cancelar',
  'conv.unread': { one: '{n} mensagem não lida', other: '{n} mensagens não lidas' },
});

// ---------------------------------------------------------------- live configuration (web/js/config-form.js)
Object.assign(en, {
  'source.saved': 'saved',
  'liveConfig.title': 'Change settings',
  'liveConfig.hint': 'Applied to the next attempt, without a restart; saved, so kept after one.',
  'liveConfig.WEBHOOK_URL': 'Webhook URL',
  'liveConfig.WEBHOOK_TIMEOUT': 'Timeout (seconds)',
  'liveConfig.WEBHOOK_MAX_RETRIES': 'Retries after the first attempt',
  'liveConfig.retriesFor': 'Retries for {kind}',
  'liveConfig.kind.text': 'text',
  'liveConfig.kind.image': 'images',
  'liveConfig.kind.pdf': 'PDFs',
  'liveConfig.kind.document': 'documents',
  'liveConfig.kind.audio': 'audio',
  'liveConfig.kind.video': 'video',
  'liveConfig.WEBHOOK_RETRY_BASE_SECONDS': 'First retry delay, at most (seconds)',
  'liveConfig.WEBHOOK_RETRY_MAX_SECONDS': 'Longest retry delay (seconds)',
  'liveConfig.WEBHOOK_CONCURRENCY': 'Attempts in flight',
  'liveConfig.WEBHOOK_ORDERING': 'Order',
  'liveConfig.CIRCUIT_FAILURE_THRESHOLD': 'Failures that open the circuit',
  'liveConfig.CIRCUIT_OPEN_SECONDS': 'Circuit open for (seconds)',
  'liveConfig.WEBHOOK_ATTACHMENTS': 'Attachments',
  'liveConfig.WEBHOOK_SECRET': 'New signing secret',
  'liveConfig.secretHint': 'Write-only: leave empty to keep it. The previous secret also signs for 24 h.',
  'liveConfig.urlHint': 'Now {url}; leave empty to keep it.',
  'liveConfig.from': 'from {source}',
  'liveConfig.testUrl': 'Send test event',
  'liveConfig.save': 'Save',
  'liveConfig.saved': 'Saved and in force: {keys}.',
  'liveConfig.none': 'nothing new',
  'liveConfig.nothing': 'Nothing changed.',
  'liveConfig.refused': 'Not saved, nothing changed — {message}',
});
Object.assign(ptBR, {
  'source.saved': 'salvo',
  'liveConfig.title': 'Alterar configurações',
  'liveConfig.hint': 'Aplicadas à próxima tentativa, sem reiniciar; salvas, então mantidas depois de um reinício.',
  'liveConfig.WEBHOOK_URL': 'URL do webhook',
  'liveConfig.WEBHOOK_TIMEOUT': 'Tempo limite (segundos)',
  'liveConfig.WEBHOOK_MAX_RETRIES': 'Novas tentativas após a primeira',
  'liveConfig.retriesFor': 'Novas tentativas para {kind}',
  'liveConfig.kind.text': 'texto',
  'liveConfig.kind.image': 'imagens',
  'liveConfig.kind.pdf': 'PDFs',
  'liveConfig.kind.document': 'documentos',
  'liveConfig.kind.audio': 'áudio',
  'liveConfig.kind.video': 'vídeo',
  'liveConfig.WEBHOOK_RETRY_BASE_SECONDS': 'Espera máxima da primeira nova tentativa (segundos)',
  'liveConfig.WEBHOOK_RETRY_MAX_SECONDS': 'Maior espera entre tentativas (segundos)',
  'liveConfig.WEBHOOK_CONCURRENCY': 'Tentativas simultâneas',
  'liveConfig.WEBHOOK_ORDERING': 'Ordem',
  'liveConfig.CIRCUIT_FAILURE_THRESHOLD': 'Falhas que abrem o circuito',
  'liveConfig.CIRCUIT_OPEN_SECONDS': 'Circuito aberto por (segundos)',
  'liveConfig.WEBHOOK_ATTACHMENTS': 'Anexos',
  'liveConfig.WEBHOOK_SECRET': 'Novo segredo de assinatura',
  'liveConfig.secretHint': 'Somente escrita: deixe vazio para mantê-lo. O segredo anterior também assina por 24 h.',
  'liveConfig.urlHint': 'Agora {url}; deixe vazio para mantê-la.',
  'liveConfig.from': 'de {source}',
  'liveConfig.testUrl': 'Enviar evento de teste',
  'liveConfig.save': 'Salvar',
  'liveConfig.saved': 'Salvo e em vigor: {keys}.',
  'liveConfig.none': 'nada de novo',
  'liveConfig.nothing': 'Nada mudou.',
  'liveConfig.refused': 'Não salvo, nada mudou — {message}',
});

const DICTIONARIES = { en, 'pt-BR': ptBR };

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage may be blocked; the browser's languages still decide
  }
}

/** The language for this browser: a saved choice, else the first pt* or en* of navigator.languages. */
function pickLanguage(saved = stored(), languages = navigator.languages ?? [navigator.language]) {
  if (saved && DICTIONARIES[saved]) return saved;
  for (const language of languages ?? []) {
    const lower = String(language).toLowerCase();
    if (lower.startsWith('pt')) return 'pt-BR';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

let lang = pickLanguage();
const listeners = new Set();
document.documentElement.lang = lang;

export function currentLang() {
  return lang;
}

export function onLangChange(listener) {
  listeners.add(listener);
}

/** Switches the language, remembers it, re-translates the static labels and tells the pages. */
export function setLang(next) {
  if (!DICTIONARIES[next] || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, still switched
  }
  document.documentElement.lang = lang;
  applyI18n(document);
  for (const listener of listeners) listener(lang);
}

export function has(key) {
  return key in DICTIONARIES[lang] || key in en;
}

// Making an Intl formatter costs far more than using one (a page of 50 conversations made 100 of them, a third of the
// page's start-up work), so each is made once per language and options.
const formatters = new Map();

function formatter(Kind, options = {}) {
  const key = `${Kind.name} ${lang} ${JSON.stringify(options)}`;
  let made = formatters.get(key);
  if (!made) {
    made = new Kind(lang, options);
    formatters.set(key, made);
  }
  return made;
}

/** The text for key with {placeholders} filled from params; English, then the key itself, when missing. */
export function t(key, params = {}) {
  let value = DICTIONARIES[lang][key] ?? en[key] ?? key;
  if (typeof value === 'object') {
    const form = formatter(Intl.PluralRules).select(Number(params.n ?? 0));
    value = value[form] ?? value.other;
  }
  return value.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

const ATTRIBUTES = [
  ['data-i18n-title', 'title'],
  ['data-i18n-placeholder', 'placeholder'],
  ['data-i18n-aria-label', 'aria-label'],
];

/** Translates the static labels under root: data-i18n (text), data-i18n-title, -placeholder, -aria-label. */
export function applyI18n(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const [data, attribute] of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[${data}]`)) node.setAttribute(attribute, t(node.getAttribute(data)));
  }
  if (root === document) {
    const title = document.body.classList.contains('settings-page') ? `${t('settings.title')} · ${t('app.title')}` : t('app.title');
    document.title = title;
  }
}

export function formatNumber(value, options = {}) {
  return formatter(Intl.NumberFormat, options).format(value);
}

const UNITS = ['B', 'KB', 'MB', 'GB'];

/** 1536 -> "1.5 KB" ("1,5 KB" in Portuguese), powers of 1024 as file managers show them. */
export function formatSize(bytes) {
  if (bytes == null || Number.isNaN(Number(bytes))) return '';
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value, { maximumFractionDigits: unit === 0 || value >= 10 ? 0 : 1 })} ${UNITS[unit]}`;
}

/** Local date and time, e.g. "27/11/2026, 15:00:00". */
export function formatDateTime(iso) {
  if (!iso) return '';
  return formatter(Intl.DateTimeFormat, { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));
}

/** Local time of day for today's times, date and time for older ones. */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return formatter(Intl.DateTimeFormat, today ? { timeStyle: 'short' } : { dateStyle: 'short', timeStyle: 'short' })
    .format(date);
}

/** "3 minutes ago" / "há 3 minutos". */
export function relativeTime(iso) {
  if (!iso) return '';
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const format = formatter(Intl.RelativeTimeFormat, { numeric: 'auto' });
  const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month']];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return format.format(Math.round(value), unit);
    value /= size;
  }
  return format.format(Math.round(value), 'year');
}

// A language chosen in another tab of the app is taken here too (the storage event tells the other tabs only).
window.addEventListener('storage', (event) => {
  if (event.key === STORAGE_KEY && event.newValue) setLang(event.newValue);
});
